"""Per-backend rate limits (``DJANGO_VOX_RATE_LIMITS``), held in Django's cache.

Time is driven by time-machine (``clock`` reads the travelled time, ``sleep``
moves it forward), so the tests count slots and seconds of simulated time,
never wall-clock time.  The cross-process test runs real processes against
Redis and counts the slots they took.
"""

import json
import os
import socket
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
import time_machine
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.utils import timezone

from django_vox import checks
from django_vox.backends import locmem
from django_vox.exceptions import TransientSendError
from django_vox.models import Delivery
from django_vox.pacing import ratelimit
from django_vox.pacing.ratelimit import Rate, RateLimiter, parse_rate, retry_after_seconds
from tests.backends.email_helpers import make_article
from tests.testapp.models import Article
from tests.testapp.registrations import ArticleRegistration

ROOT = Path(__file__).resolve().parents[1]
START = 1_800_000_000.0  # a whole second, so slot numbers are easy to check
REDIS_URL = "redis://127.0.0.1:6379/14"
REDIS_SKIP = ("the cross-process rate-limit test needs Redis at 127.0.0.1:6379 "
              "(started for `make test-postgres`)")


def redis_available():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def clock():
    """Frozen time that moves only when a limiter sleeps."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def approx(values):
    """Slot times are whole slots since the epoch: equal to a microsecond."""
    return pytest.approx(values, abs=1e-6)


def fresh_locmem():
    return LocMemCache(f"vox-rate-{uuid.uuid4()}", {})


def limiter(rate="20/s", cache=None, clock=None, backend_id="sms"):
    sleep = clock.shift if clock is not None else None
    return RateLimiter(backend_id, parse_rate(rate), cache=cache or fresh_locmem(), sleep=sleep)


# -- reading the setting -------------------------------------------------------------
@pytest.mark.parametrize("text, rate", [
    ("1/s", Rate(1, 1)), ("20/s", Rate(20, 1)), (" 100 / m ", Rate(100, 60)),
    ("1000/h", Rate(1000, 3600)), ("5/10s", Rate(5, 10)),
])
def test_parse_rate(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["0/s", "20", "20/d", "-1/s", "1.5/s", 20, None, "20/0s"])
def test_parse_rate_names_the_setting_and_backend(text):
    with pytest.raises(ImproperlyConfigured, match=r"DJANGO_VOX_RATE_LIMITS\['twilio'\]") as info:
        parse_rate(text, backend_id="twilio")
    assert repr(text) in str(info.value)


def test_rate_limits_setting(settings):
    settings.DJANGO_VOX_RATE_LIMITS = {"twilio": "1/s", "email-html": "20/s"}
    assert ratelimit.rate_limits() == {"twilio": Rate(1, 1), "email-html": Rate(20, 1)}
    settings.DJANGO_VOX_RATE_LIMITS = [("twilio", "1/s")]
    with pytest.raises(ImproperlyConfigured, match="must be a dict"):
        ratelimit.rate_limits()
    settings.DJANGO_VOX_RATE_LIMITS = {3: "1/s"}
    with pytest.raises(ImproperlyConfigured, match="keys must be backend IDs"):
        ratelimit.rate_limits()
    settings.DJANGO_VOX_RATE_LIMITS = {}
    assert ratelimit.limiter_for("twilio") is None


def _check_ids():
    return [message.id for message in checks.check_rate_limits()]


def test_checks(settings):
    settings.DJANGO_VOX_BACKENDS = ["django_vox.backends.locmem.Backend"]
    settings.DJANGO_VOX_RATE_LIMITS = {}
    assert _check_ids() == []
    settings.DJANGO_VOX_RATE_LIMITS = {"locmem": "fast"}
    [error] = checks.check_rate_limits()
    assert error.id == "django_vox.E020" and "'fast'" in error.msg
    settings.DJANGO_VOX_RATE_LIMITS = {"locmem": "5/s", "twillio": "1/s"}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
                       "shared": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                                  "LOCATION": "vox_cache"},
                       "none": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    messages = checks.check_rate_limits()
    assert [m.id for m in messages] == ["django_vox.W020", "django_vox.W021"]
    assert "'twillio'" in messages[0].msg and "per process" in messages[1].msg
    settings.DJANGO_VOX_RATE_LIMIT_CACHE = "shared"
    assert _check_ids() == ["django_vox.W020"]
    settings.DJANGO_VOX_RATE_LIMIT_CACHE = "none"
    assert "not enforced" in checks.check_rate_limits()[1].msg
    settings.DJANGO_VOX_RATE_LIMIT_CACHE = "missing"
    assert _check_ids() == ["django_vox.W020", "django_vox.E021"]
    with pytest.raises(ImproperlyConfigured, match="'missing'"):
        ratelimit.limiter_for("locmem")


@pytest.mark.parametrize("value, seconds", [
    ("7", 7.0), (" 2.5 ", 2.5), ("-3", 0.0), (None, None), ("soon", None),
    ("Thu, 14 Jan 2027 08:00:10 GMT", 10.0), ("Thu, 14 Jan 2027 07:00:00 GMT", 0.0),
    ("inf", None), ("nan", None),
])
def test_retry_after_seconds(value, seconds):
    now = 1_799_913_600.0  # Thu, 14 Jan 2027 08:00:00 GMT
    assert retry_after_seconds(value, now=now) == seconds


# -- the bucket ----------------------------------------------------------------------
def test_slots_are_spaced_evenly_and_never_burst(clock):
    bucket = limiter("20/s")
    waits = [bucket.reserve() for _ in range(60)]  # nobody sends: time stands still
    assert waits == approx([i * 0.05 for i in range(60)])
    # Exactly 20 of them may go within the first second.
    assert sum(1 for wait in waits if wait < 1.0) == 20


def test_acquire_waits_for_its_turn(clock):
    bucket = limiter("4/s", clock=clock)
    for _ in range(9):
        bucket.acquire()
    # Nine sends at 4 per second: the first at once, the ninth two seconds later.
    assert ratelimit.time.time() == pytest.approx(START + 2.0)
    bucket.acquire(4)  # four more: the last of them one second on
    assert ratelimit.time.time() == pytest.approx(START + 3.0)


def test_unused_time_is_not_saved_up(clock):
    bucket = limiter("10/s", clock=clock)
    bucket.acquire()
    clock.shift(60)  # a quiet minute gives no burst afterwards
    waits = [bucket.reserve() for _ in range(3)]
    assert waits == approx([0.0, 0.1, 0.2])


def test_limiters_sharing_a_cache_never_share_a_slot(clock):
    cache = fresh_locmem()
    workers = [limiter("50/s", cache=cache) for _ in range(4)]
    slots = []
    for _round in range(25):
        for worker in workers:
            worker.reserve()
            slots.append(worker.last_slot)
    assert len(set(slots)) == 100
    assert max(slots) - min(slots) == 99  # no slot skipped either
    # Another backend, or another rate of the same one, has its own timeline.
    assert limiter("50/s", cache=cache, backend_id="email").reserve() == 0.0
    assert limiter("60/s", cache=cache).reserve() == 0.0


@pytest.fixture
def db_cache(settings, db):
    settings.CACHES = {**settings.CACHES, "vox-db": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "vox_rate_cache",
        "OPTIONS": {"MAX_ENTRIES": 10_000}}}
    call_command("createcachetable", "vox_rate_cache", verbosity=0)
    return caches["vox-db"]


def test_database_cache_gives_each_slot_once(clock, db_cache):
    workers = [limiter("20/s", cache=db_cache) for _ in range(3)]
    slots = []
    for _round in range(10):
        for worker in workers:
            worker.reserve()
            slots.append(worker.last_slot)
    assert len(set(slots)) == 30 and max(slots) - min(slots) == 29
    # The slots are rows of the cache table; taking one again loses.
    prefix = workers[0].prefix
    assert db_cache.get(f"{prefix}:{slots[7]}") == 1
    assert not db_cache.add(f"{prefix}:{slots[7]}", 1)
    assert workers[0].reserve() == pytest.approx(30 * 0.05)


def test_a_429_pauses_every_sender_and_halves_the_rate(clock):
    cache = fresh_locmem()
    first, second = limiter("10/s", cache=cache), limiter("10/s", cache=cache)
    first.throttled(retry_after=3)
    assert second.paused_until() == pytest.approx(START + 3)
    assert [second.reserve() for _ in range(3)] == approx([3.0, 3.2, 3.4])
    # 429s of messages already under way during the pause slow it no further.
    first.throttled(retry_after=2)
    assert second.slowdown() == 2
    clock.shift(4)
    first.throttled()  # no Retry-After: one second; a later 429 halves it again
    assert (second.slowdown(), second.paused_until()) == (4, pytest.approx(START + 5))
    for _ in range(5):
        clock.shift(2)
        first.throttled(retry_after=1)
    assert second.slowdown() == ratelimit.MAX_SLOWDOWN
    clock.shift(ratelimit.SLOWDOWN_SECONDS + 5)  # a quiet minute restores the rate
    assert second.slowdown() == 1
    assert [second.reserve() for _ in range(2)] == approx([0.0, 0.1])


# -- in the pipeline -----------------------------------------------------------------
class ThrottledBackend(locmem.Backend):
    """Answers 429 (Retry-After: 5) for the addresses in ``refused``."""

    ID = "throttled"
    refused: set = set()

    def send(self, address, message):
        if address in type(self).refused:
            raise TransientSendError("rate limited", status=429, retry_after=5)
        super().send(address, message)


class AgingBackend(locmem.Backend):
    """Notes how long ago its row was last touched when each message goes out."""

    ID = "aging"
    ages: list = []

    def send(self, address, message):
        row = Delivery.objects.get(to_addresses=[address])
        type(self).ages.append((timezone.now() - row.updated_at).total_seconds())
        super().send(address, message)


@pytest.fixture
def limited(settings, clock, monkeypatch):
    settings.DJANGO_VOX_BACKENDS = ["django_vox.backends.locmem.Backend",
                                    "tests.test_ratelimit.ThrottledBackend",
                                    "tests.test_ratelimit.AgingBackend"]
    settings.DJANGO_VOX_RATE_LIMIT_CACHE = "vox-rate"
    settings.CACHES = {**settings.CACHES, "vox-rate": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": f"vox-rate-{uuid.uuid4()}"}}
    monkeypatch.setattr(ratelimit, "wait", clock.shift)
    return settings


@pytest.mark.django_db
def test_issue_waits_for_the_backend_limit(limited, make_template, committed):
    limited.DJANGO_VOX_RATE_LIMITS = {"locmem": "10/s"}
    article = make_article("Paced", subscribers=25)
    make_template(Article, "published", recipients="c:subs", content="hi {{ recipient.name }}")
    with committed():
        ArticleRegistration.published.issue(article)
    assert len(locmem.outbox) == 25
    # 25 messages at 10 per second: the last one 2.4 s after the first.
    assert ratelimit.time.time() == pytest.approx(START + 2.4)


@pytest.mark.django_db
def test_unlimited_backends_do_not_wait(limited, make_template, committed):
    limited.DJANGO_VOX_RATE_LIMITS = {"throttled": "1/h"}
    article = make_article("Free", subscribers=5)
    make_template(Article, "published", recipients="c:subs", content="hi")
    with committed():
        ArticleRegistration.published.issue(article)
    assert len(locmem.outbox) == 5 and ratelimit.time.time() == START


@pytest.mark.django_db
def test_a_429_in_the_pipeline_slows_the_bucket(limited, make_template, committed):
    limited.DJANGO_VOX_RATE_LIMITS = {"throttled": "10/s"}
    limited.DJANGO_VOX_THROW_EXCEPTIONS = False
    ThrottledBackend.refused = {"s1@example.org"}
    article = make_article("Too fast", subscribers=4)
    make_template(Article, "published", backend="throttled", recipients="c:subs", content="hi")
    try:
        with committed():
            ArticleRegistration.published.issue(article)
    finally:
        ThrottledBackend.refused = set()
    failed = Delivery.objects.get(status=Delivery.FAILED)
    assert failed.to_addresses == ["s1@example.org"] and "status 429" in failed.error
    assert sorted(a for m in locmem.outbox for a in m.to) == [
        "s0@example.org", "s2@example.org", "s3@example.org"]
    # s0 at 0, s1 at 0.1 (429: pause 5 s, then every second slot), s2 at 5.1, s3 at 5.3.
    assert ratelimit.time.time() == pytest.approx(START + 5.1 + 0.2)
    bucket = ratelimit.limiter_for("throttled")
    assert bucket.slowdown() == 2


@pytest.mark.django_db
def test_rows_waiting_for_a_slow_limit_do_not_look_abandoned(limited, make_template,
                                                             committed):
    # Recovery takes queued rows untouched for 15 minutes for abandoned ones; at
    # one message a minute the 20th would wait 19 minutes without being touched.
    # A synchronous sender waits for no turn that far away (issue 34): it
    # records those messages failed; a task worker resending them paces them.
    from django_vox.issuing import send_deliveries

    limited.DJANGO_VOX_RATE_LIMITS = {"aging": "1/m"}
    limited.DJANGO_VOX_THROW_EXCEPTIONS = False
    AgingBackend.ages = []
    article = make_article("Slow", subscribers=20)
    make_template(Article, "published", backend="aging", recipients="c:subs", content="hi")
    with committed():
        ArticleRegistration.published.issue(article)
    failed = list(Delivery.objects.filter(status=Delivery.FAILED))
    assert len(failed) == 19 and "longer than a synchronous sender waits" in failed[0].error
    ratelimit.wait(60)
    with committed():
        send_deliveries(failed, schedule_retry=lambda pending, run_after: None)
    assert ratelimit.time.time() == pytest.approx(START + 60 + 18 * 60)
    assert len(AgingBackend.ages) == 20
    assert max(AgingBackend.ages[1:]) <= 60 + ratelimit.WAIT_SLICE
    assert Delivery.objects.filter(status=Delivery.SENT).count() == 20


def test_acquire_calls_on_wait_between_slices(clock):
    calls = []
    bucket = limiter("1/h", clock=clock)
    bucket.acquire(on_wait=lambda: calls.append(ratelimit.time.time()))
    assert calls == []  # the first turn is now: no wait
    bucket.acquire(on_wait=lambda: calls.append(ratelimit.time.time() - START))
    assert calls == approx([30.0 * i for i in range(120)])  # an hour in slices of 30 s


def test_a_turn_begins_after_an_addresss_pause(clock):
    """``take(not_before=...)`` (the end of an address's pause): the slot is
    after it, and a synchronous sender's limit counts from it."""
    bucket = limiter("1/s", clock=clock)
    assert bucket.take(not_before=START + 3) == approx(3.0)
    assert bucket.last_slot == START + 3
    assert bucket.take(max_wait=2, not_before=START + 3) == approx(4.0)  # the next slot
    assert bucket.cache.get(bucket._key(bucket.taken[0])) == 1  # held
    with pytest.raises(ratelimit.WaitTooLong):
        bucket.take(max_wait=1.5, not_before=START + 3)  # 2 s after the pause: too far
    assert bucket.taken == [START + 5]  # taken, then given back:
    assert bucket.cache.get(bucket._key(bucket.taken[0])) is None


def test_an_addresss_pause_more_than_max_wait_away_is_not_waited_for(clock):
    bucket = limiter(clock=clock)
    address = "https://hooks.example.org/a"
    assert bucket.address_paused_until(address) == 0.0
    bucket.address_throttled(address, retry_after=ratelimit.MAX_WAIT)
    assert bucket.address_paused_until(address) == START + ratelimit.MAX_WAIT
    assert bucket.address_paused_until("https://hooks.example.org/b") == 0.0
    bucket.address_throttled(address, retry_after=ratelimit.MAX_WAIT + 1)
    with pytest.raises(ratelimit.WaitTooLong) as raised:
        bucket.address_paused_until(address)
    assert raised.value.retry_after == approx(ratelimit.MAX_WAIT + 1)


# -- across processes ----------------------------------------------------------------
CHILD = textwrap.dedent("""
    import json, sys
    import django
    from django.conf import settings
    settings.configure(CACHES={"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": sys.argv[1]}},
        DJANGO_VOX_RATE_LIMITS={"sms": "200/s"}, INSTALLED_APPS=[])
    django.setup()
    from django_vox.pacing import ratelimit
    bucket = ratelimit.limiter_for("sms")
    print("ready", flush=True)
    sys.stdin.readline()  # start together
    slots = []
    for _ in range(int(sys.argv[2])):
        bucket.acquire()
        slots.append(bucket.last_slot)
    print(json.dumps(slots))
""")


@pytest.mark.skipif(not redis_available(), reason=REDIS_SKIP)
def test_processes_sharing_redis_never_share_a_slot():
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    per_process = 40
    children = [subprocess.Popen([sys.executable, "-c", CHILD, REDIS_URL, str(per_process)],
                                 cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
                for _ in range(4)]
    for child in children:
        assert child.stdout.readline() == "ready\n"
    for child in children:
        child.stdin.write("go\n")
        child.stdin.flush()
    slots = []
    for child in children:
        out, _err = child.communicate(timeout=120)
        assert child.returncode == 0
        mine = json.loads(out)
        assert mine == sorted(set(mine))  # each process moves forward in time
        slots.extend(mine)
    # 160 sends from four processes at once: 160 different slots.
    assert len(slots) == len(set(slots)) == 4 * per_process
