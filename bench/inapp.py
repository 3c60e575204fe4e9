"""The in-app case: fan-out to N users, and what an idle bell costs.

In a worker process (``bench.worker --inapp N POLLS``), on the benchmark's
database:

* **fan-out**: one ``issue()`` of a notification whose only template is an
  ``inapp`` one reaching N users (``c:users``, a channel added to the
  benchmark's ``Post`` at run time), timed from the call to the last row
  stored, with the queries it took, first at the default
  ``DJANGO_VOX_BATCH_SIZE`` (1,000 a batch) and then with the whole issue in
  one batch (``--batch-size`` N): the queries must not grow with N within a
  batch;
* **idle poll**: the count endpoint asked POLLS times by one of those users
  with the ETag of its last answer (every answer a 304), timed per poll, with
  the queries per poll (the view's own: the site's session and user loading
  come on top, as for any view).

There is no floor to compare with: the numbers are reported as they are, and
the summary checks the two claims of issue 33 (the same queries for N users
as for 10 in one batch; one query per idle poll).
"""

import json
import time

CASE = "inapp"
POLLS = 1000
PREFIX = "inapp-bench-"


# -- in the worker process ----------------------------------------------------------
def _registrations():
    """The benchmark's users reachable in-app and a ``Post`` channel reaching them."""
    from django.contrib.auth import get_user_model

    from bench.app.models import Post
    from bench.app.registrations import PostRegistration
    from django_vox.inapp.contacts import InAppUserContacts
    from django_vox.registry import Channel, Notification, Registration, objects

    User = get_user_model()

    class UserRegistration(InAppUserContacts, Registration):
        pass

    class InAppPostRegistration(PostRegistration):
        #: One in-app message per user (inapp).
        announced = Notification("In-app message for a post")

        def get_channels(self):
            return {**super().get_channels(), "users": Channel(
                "Users", User, lambda post: User.objects.filter(
                    username__startswith=PREFIX).order_by("pk")[:post.audience])}

    objects.add(User, UserRegistration, regex=None)
    objects.add(Post, InAppPostRegistration, regex=None)
    return InAppPostRegistration


def _prepare(n):
    from django.contrib.auth import get_user_model

    from bench.app.models import Post
    from django_vox.inapp.models import InAppMessage
    from django_vox.models import Delivery, Notification, Template
    from django_vox.registry.sync import sync_notifications

    User = get_user_model()
    registration = _registrations()
    sync_notifications()
    InAppMessage.objects.all().delete()
    Delivery.objects.all().delete()
    have = User.objects.filter(username__startswith=PREFIX).count()
    if have < n:
        User.objects.bulk_create([User(username=f"{PREFIX}{i}") for i in range(have, n)],
                                 batch_size=2000)
    Template.objects.update_or_create(
        notification=Notification.objects.get_for_model(Post, "announced"), backend="inapp",
        defaults={"recipients": "c:users", "enabled": True, "subject": "{{ object.title }}",
                  "content": "Hello {{ recipient.username }}, **{{ object.title }}** is out."})
    return registration


def _fan_out(registration, n, counter):
    from bench.app.models import Post
    from django_vox.inapp.models import InAppMessage
    from django_vox.models import Delivery

    InAppMessage.objects.all().delete()
    Delivery.objects.all().delete()
    post = Post.objects.create(title="Version 5 is out", audience=n)
    counter.count = 0
    started = time.perf_counter()
    registration.announced.issue(post)
    seconds = time.perf_counter() - started
    stored = InAppMessage.objects.count()
    if stored != n:
        raise RuntimeError(f"in-app fan-out to {n} users stored {stored} messages")
    return {"seconds": round(seconds, 6), "queries": counter.count, "stored": stored}


def _polls(polls, counter):
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory

    from django_vox.inapp import views

    user = get_user_model().objects.filter(username__startswith=PREFIX).order_by("pk").first()
    factory = RequestFactory()

    def ask(etag=None):
        request = factory.get("/vox/inapp/api/count/", **(
            {"HTTP_IF_NONE_MATCH": etag} if etag else {}))
        request.user = user
        return views.count(request)

    etag = ask()["ETag"]
    counter.count = 0
    started = time.perf_counter()
    for _poll in range(polls):
        response = ask(etag)
        if response.status_code != 304:
            raise RuntimeError(f"an idle poll answered {response.status_code}, not 304")
    seconds = time.perf_counter() - started
    return {"polls": polls, "seconds_per_poll": round(seconds / polls, 7),
            "queries_per_poll": counter.count / polls}


class _Counter:
    count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def worker_main(argv):
    """``--inapp N POLLS``: the measurements as one dict."""
    from django.db import connection
    from django.test.utils import override_settings

    n, polls = int(argv[1]), int(argv[2])
    counter = _Counter()
    backends = ["django_vox.backends.inapp.Backend"]
    with override_settings(DJANGO_VOX_BACKENDS=backends), connection.execute_wrapper(counter):
        registration = _prepare(max(n, 10))
        _fan_out(registration, 10, counter)  # warm-up: content types, compiled templates
        ten = _fan_out(registration, 10, counter)
        with override_settings(DJANGO_VOX_BATCH_SIZE=max(n, 10)):
            ten_one_batch = _fan_out(registration, 10, counter)
            one_batch = _fan_out(registration, n, counter)
        batched = _fan_out(registration, n, counter)
        poll = _polls(polls, counter)
    return {"n": n, "fanout": batched, "fanout_one_batch": one_batch,
            "ten_one_batch": ten_one_batch, "ten": ten, "poll": poll}


# -- in the runner ------------------------------------------------------------------
def run(runner, n, db, polls=POLLS):
    """Returns (its lines, the summary)."""
    found = runner.worker(db, "--inapp", n, polls)
    fanout, one_batch, poll = found["fanout"], found["fanout_one_batch"], found["poll"]
    lines = [
        {"case": CASE, "config": "fanout", "n": n, "db": db, "batch_size": "default",
         **fanout, "messages_per_second": round(n / fanout["seconds"], 1)},
        {"case": CASE, "config": "fanout-one-batch", "n": n, "db": db, "batch_size": n,
         **one_batch, "messages_per_second": round(n / one_batch["seconds"], 1)},
        {"case": CASE, "config": "idle-poll", "n": n, "db": db, **poll,
         "microseconds_per_poll": round(poll["seconds_per_poll"] * 1e6, 1)},
    ]
    for line in lines:
        runner.log.write("# " + json.dumps(line) + "\n")
    constant = one_batch["queries"] == found["ten_one_batch"]["queries"]
    summary = {"case": CASE, "n": n, "db": db,
               "fanout_seconds": fanout["seconds"], "fanout_queries": fanout["queries"],
               "one_batch_queries": one_batch["queries"],
               "ten_users_queries": found["ten_one_batch"]["queries"],
               "poll_queries": poll["queries_per_poll"],
               "poll_microseconds": lines[2]["microseconds_per_poll"],
               "target_met": constant and poll["queries_per_poll"] <= 1}
    return lines, summary
