"""The delivery log's batch writes (django_vox.deliverylog)."""

import time
import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_vox import deliverylog
from django_vox.issuing import record_failures
from django_vox.models import Delivery, Notification, Template
from tests.testapp.models import Article

pytestmark = pytest.mark.django_db

MESSAGE = {"subject": "Hi <there>", "text": "Body ✓", "html": "<p>Body</p>",
           "headers": {"X-Tag": "1"}, "attachments": []}


def _writer():
    notification = Notification.objects.get_for_model(Article, "published")
    template = Template.objects.create(notification=notification, backend="locmem",
                                       recipients="c", content="x")
    return deliverylog.LogWriter(
        issue_id=uuid.uuid4(), notification=notification, template=template,
        object_type=ContentType.objects.get_for_model(Article), object_id="7",
        backend="locmem", protocol="email")


@pytest.fixture
def writer(db):
    return _writer()


def test_rows_are_written_with_every_field_in_one_statement(writer):
    rows = [writer.row([f"p{i}@example.org"], from_address="Desk <d@example.org>",
                       message=MESSAGE) for i in range(5)]
    with CaptureQueriesContext(connection) as ctx:
        writer.write(rows)
    assert len(ctx.captured_queries) == 1  # executemany: logged once
    assert "INSERT INTO" in ctx.captured_queries[0]["sql"]
    saved = {d.pk: d for d in Delivery.objects.all()}
    assert set(saved) == {row.pk for row in rows}
    for row in rows:
        delivery = saved[row.pk]
        assert delivery.issue_id == writer.fields["issue_id"]
        assert delivery.notification == writer.fields["notification"]
        assert delivery.template == writer.fields["template"]
        assert delivery.object_type.model == "article" and delivery.object_id == "7"
        assert (delivery.backend, delivery.protocol) == ("locmem", "email")
        assert delivery.from_address == "Desk <d@example.org>"
        assert delivery.to_addresses == row.to_addresses
        assert delivery.message == MESSAGE
        assert (delivery.status, delivery.attempts, delivery.error) == (Delivery.QUEUED, 0, "")
        assert delivery.created_at == delivery.updated_at == row.created_at
        assert delivery.sent_at is None and delivery.next_attempt_at is None


def test_as_delivery_matches_the_saved_row(writer):
    row = writer.write([writer.row(["a@example.org"], message=MESSAGE)])[0]
    built = row.as_delivery()
    saved = Delivery.objects.get(pk=row.pk)
    assert isinstance(built, Delivery) and not built._state.adding
    for field in Delivery._meta.concrete_fields:
        assert getattr(built, field.attname) == getattr(saved, field.attname), field.name
    assert deliverylog.as_delivery(saved) is saved


def _updates(ctx):
    return [q["sql"] for q in ctx.captured_queries if "UPDATE" in q["sql"]]


def test_mark_sent_is_one_statement_for_a_batch(writer):
    rows = writer.write([writer.row([f"p{i}@example.org"]) for i in range(30)])
    now = timezone.now()
    with CaptureQueriesContext(connection) as ctx:
        deliverylog.mark_sent(rows[:20], now)
    assert len(_updates(ctx)) == 1
    if connection.vendor == "postgresql":
        assert "= ANY(" in _updates(ctx)[0]
    assert Delivery.objects.filter(status=Delivery.SENT, attempts=1, sent_at=now).count() == 20
    assert Delivery.objects.filter(status=Delivery.QUEUED, attempts=0).count() == 10
    assert all(row.status == Delivery.SENT and row.attempts == 1 for row in rows[:20])


def test_mark_sent_statements_do_not_depend_on_the_batch_size(writer):
    counts = []
    for size in (2, 50, 1200):  # 1200 keys: more than SQLite's 999 parameters
        rows = writer.write([writer.row([f"p{i}@example.org"]) for i in range(size)])
        with CaptureQueriesContext(connection) as ctx:
            deliverylog.mark_sent(rows, timezone.now())
        counts.append(len(ctx.captured_queries))
        assert Delivery.objects.filter(pk__in=[r.pk for r in rows[:900]],
                                       status=Delivery.SENT).count() == min(size, 900)
    assert counts[0] == counts[1] == counts[2]


def test_failures_of_log_rows_are_recorded(writer):
    rows = writer.write([writer.row(["bad@example.org"]), writer.row(["ok@example.org"])])
    record_failures([(rows[0], ValueError("no such mailbox"))])
    failed = Delivery.objects.get(pk=rows[0].pk)
    assert failed.status == Delivery.FAILED and failed.attempts == 1
    assert failed.error == "ValueError: no such mailbox"
    assert Delivery.objects.get(pk=rows[1].pk).status == Delivery.QUEUED


def test_suppressed_rows_keep_their_reason(writer):
    writer.write([writer.row(["off@example.org"], status=Delivery.SUPPRESSED,
                             error="Suppressed: turned off.")])
    row = Delivery.objects.get()
    assert (row.status, row.error, row.message) == (Delivery.SUPPRESSED,
                                                    "Suppressed: turned off.", {})


# -- a task worker's marks (deliverylog.SentMarks) ----------------------------------
def test_sent_marks_wait_for_each_mark_inside_a_transaction(writer):
    # The test runs in a transaction: a second connection could not see the rows.
    rows = writer.write([writer.row([f"p{i}@example.org"]) for i in range(3)])
    marks = deliverylog.SentMarks()
    assert marks.pipelined is False
    marks.mark_sent(rows[:2], timezone.now())
    marks.close()
    assert Delivery.objects.filter(status=Delivery.SENT).count() == 2


@pytest.fixture
def committed_writer(transactional_db):
    return _writer()


def _backend_pids():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        return {pid for (pid,) in cursor.fetchall()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_sent_marks_go_ahead_on_their_own_connection_in_autocommit(committed_writer):
    rows = committed_writer.write([committed_writer.row([f"p{i}@example.org"])
                                   for i in range(3)])
    marks = deliverylog.SentMarks()
    own = marks._raw.info.backend_pid
    assert marks.pipelined is True and own in _backend_pids()
    assert own != connection.connection.info.backend_pid
    now = timezone.now()
    with CaptureQueriesContext(connection) as ctx:
        marks.mark_sent(rows[:1], now)
        marks.mark_sent(rows[1:2], now)  # reads the first mark's answer first
        marks.wait()
    assert ctx.captured_queries == []  # not on the site's connection
    assert [row.status for row in rows] == [Delivery.SENT, Delivery.SENT, Delivery.QUEUED]
    assert Delivery.objects.filter(status=Delivery.SENT, attempts=1, sent_at=now).count() == 2
    marks.close()
    # its connection is closed (the server notices the goodbye a moment later)
    deadline = time.monotonic() + 10
    while own in _backend_pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert own not in _backend_pids()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_a_failed_mark_raises_when_its_answer_is_read(committed_writer):
    from django.db import DatabaseError

    rows = committed_writer.write([committed_writer.row(["p@example.org"])])
    marks = deliverylog.SentMarks()
    marks.mark_sent(rows, timezone.now())
    marks.wait()
    with connection.cursor() as cursor:  # the mark's table refuses writes now
        cursor.execute("CREATE FUNCTION vox_refuse() RETURNS trigger AS $$ BEGIN "
                       "RAISE EXCEPTION 'log is read-only'; END $$ LANGUAGE plpgsql")
        cursor.execute(f"CREATE TRIGGER vox_refuse BEFORE UPDATE ON {Delivery._meta.db_table} "
                       "FOR EACH ROW EXECUTE FUNCTION vox_refuse()")
    try:
        marks.mark_sent(rows, timezone.now())  # written, not waited for
        with pytest.raises(DatabaseError, match="Marking deliveries sent failed: .*read-only"):
            marks.wait()
    finally:
        marks.close()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER vox_refuse ON {Delivery._meta.db_table}")
            cursor.execute("DROP FUNCTION vox_refuse()")
    assert Delivery.objects.get(pk=rows[0].pk).attempts == 1  # the first mark only


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_without_a_second_connection_marks_are_waited_for(committed_writer, monkeypatch, caplog):
    from django.db import OperationalError

    def refuse(**params):
        raise OperationalError("sorry, too many clients already")

    rows = committed_writer.write([committed_writer.row(["p@example.org"])])
    monkeypatch.setattr(connection.Database, "connect", refuse)
    marks = deliverylog.SentMarks()
    assert marks.pipelined is False
    assert "could not be opened (sorry, too many clients already)" in caplog.text
    marks.mark_sent(rows, timezone.now())
    marks.close()
    assert Delivery.objects.get(pk=rows[0].pk).status == Delivery.SENT


KILLED_RIGHT_AFTER_THE_MARK = """
import os, signal, sys, uuid
import django
django.setup()
from django.utils import timezone
from django_vox import deliverylog
from django_vox.models import Delivery
row = Delivery.objects.get(pk=uuid.UUID(sys.argv[1]))
marks = deliverylog.SentMarks()
assert marks.pipelined
marks.mark_sent([row], timezone.now())   # written to the socket, answer not read
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_a_mark_written_survives_the_worker_killed_before_its_answer(committed_writer):
    """The claim the kill window rests on: the server commits a mark it has
    received although the process that wrote it died before reading the answer."""
    import os
    import subprocess
    import sys

    row = committed_writer.write([committed_writer.row(["p@example.org"])])[0]
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="tests.settings",
               VOX_TEST_DATABASE="postgres", VOX_PG_NAME=connection.settings_dict["NAME"])
    worker = subprocess.run([sys.executable, "-c", KILLED_RIGHT_AFTER_THE_MARK, str(row.pk)],
                            env=env, capture_output=True, text=True, timeout=120)
    assert worker.returncode == -9, worker.stderr  # killed, not failed
    deadline = time.monotonic() + 10
    while (Delivery.objects.get(pk=row.pk).status != Delivery.SENT
           and time.monotonic() < deadline):
        time.sleep(0.05)
    saved = Delivery.objects.get(pk=row.pk)
    assert (saved.status, saved.attempts) == (Delivery.SENT, 1)


@pytest.mark.parametrize(("journal", "inside"), [("wal", 1), ("delete", 2)])
def test_worker_commits_skip_the_disk_sync_only_on_sqlite_in_wal_mode(tmp_path, monkeypatch,
                                                                      journal, inside):
    """A worker's commits (its chunk, its marks) go at synchronous = NORMAL on
    SQLite in WAL mode, where that survives a killed process; the
    connection's own level (FULL) comes back afterwards.  Rollback-journal
    modes keep FULL."""
    from django.db.utils import ConnectionHandler

    from django_vox.deliverylog import pipelining

    handler = ConnectionHandler({"default": {"ENGINE": "django.db.backends.sqlite3",
                                             "NAME": str(tmp_path / "log.sqlite3")}})
    wrapper = handler["default"]
    monkeypatch.setattr(pipelining, "_connection", lambda model: wrapper)

    def level():
        with wrapper.cursor() as cursor:
            cursor.execute("PRAGMA synchronous")
            return cursor.fetchone()[0]

    with wrapper.cursor() as cursor:
        cursor.execute(f"PRAGMA journal_mode = {journal}")
        cursor.execute("PRAGMA synchronous = FULL")
    try:
        with pipelining.worker_commits():
            assert level() == inside
        assert level() == 2
        marks = pipelining.SentMarks()
        assert level() == inside and not marks.pipelined
        marks.close()
        assert level() == 2
    finally:
        wrapper.close()
