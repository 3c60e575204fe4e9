"""The in-app endpoints, page, template tags, stream, settings and retention."""

import asyncio
import datetime as dt
import re
import threading
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core import checks as django_checks
from django.core.management import call_command
from django.db import connection, connections
from django.template import Context, Template
from django.test import AsyncClient, Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from django_vox import checks
from django_vox.inapp.models import InAppMessage

User = get_user_model()


def add(user, title="Hello", **fields):
    return InAppMessage.objects.create(user=user, key=uuid.uuid4(), title=title,
                                       body=f"<p>{title}</p>", **fields)


def url(name, *args):
    return reverse(f"django_vox:inapp-{name}", args=args)


@pytest.fixture
def ann_client(ann):
    client = Client()
    client.force_login(ann)
    return client


# -- only one's own messages ------------------------------------------------------
@pytest.mark.django_db
def test_another_users_messages_are_never_visible(ann, bob, ann_client):
    mine = add(ann, "Mine")
    theirs = add(bob, "Theirs")
    listed = ann_client.get(url("messages")).json()
    assert [m["id"] for m in listed["results"]] == [mine.pk] and listed["unread"] == 1
    for which in ("unread", "archived"):
        assert theirs.pk not in [m["id"] for m in
                                 ann_client.get(url("messages"), {"filter": which}).json()["results"]]
    assert ann_client.get(url("count")).json() == {"unread": 1, "newest": mine.pk}
    for action in ("read", "unread", "seen", "archive", "unarchive"):
        answer = ann_client.post(url("change", theirs.pk, action))
        assert answer.status_code == 404, action
        missing = ann_client.post(url("change", theirs.pk + 1000, action))
        assert missing.status_code == 404  # the same answer as for an id that does not exist
    page = ann_client.get(url("page"), {"filter": "all"})
    assert "Mine" in page.text and "Theirs" not in page.text
    assert ann_client.post(url("all", "read")).json()["changed"] == 1
    theirs.refresh_from_db()
    assert theirs.state == "unseen"


@pytest.mark.django_db
def test_anonymous_requests_are_refused(ann):
    message = add(ann)
    client = Client()
    for response in (client.get(url("messages")), client.get(url("count")),
                     client.post(url("change", message.pk, "read")),
                     client.post(url("all", "read"))):
        assert response.status_code == 401
        assert response.json()["error"]
    assert client.get(url("page")).status_code == 302


@pytest.mark.django_db
def test_changes_need_post_and_a_csrf_token(ann):
    message = add(ann)
    client = Client(enforce_csrf_checks=True)
    client.force_login(ann)
    assert client.get(url("change", message.pk, "read")).status_code == 405
    assert client.get(url("all", "read")).status_code == 405
    assert client.post(url("change", message.pk, "read")).status_code == 403
    assert client.post(url("all", "read")).status_code == 403
    client.get(url("page"))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    answer = client.post(url("change", message.pk, "read"), HTTP_X_CSRFTOKEN=token)
    assert answer.status_code == 200 and answer.json()["message"]["state"] == "read"
    assert client.post(url("change", message.pk, "delete"), HTTP_X_CSRFTOKEN=token) \
        .status_code == 404


# -- states -------------------------------------------------------------------------
@pytest.mark.django_db
def test_states_through_the_endpoints(ann, ann_client):
    first, second = add(ann, "One"), add(ann, "Two")
    answer = ann_client.post(url("change", first.pk, "seen")).json()
    assert answer["message"]["state"] == "seen" and answer["unread"] == 2
    answer = ann_client.post(url("change", first.pk, "read")).json()
    assert answer["message"]["state"] == "read" and answer["unread"] == 1
    assert ann_client.post(url("change", first.pk, "unread")).json()["message"]["state"] == "seen"
    assert ann_client.post(url("change", second.pk, "archive")).json()["unread"] == 1
    archived = ann_client.get(url("messages"), {"filter": "archived"}).json()["results"]
    assert [m["id"] for m in archived] == [second.pk] and archived[0]["state"] == "archived"
    assert ann_client.post(url("all", "seen")).json()["changed"] == 1  # the archived one
    assert ann_client.post(url("all", "read")).json() == {"changed": 2, "unread": 0,
                                                          "newest": 0}


@pytest.mark.django_db
def test_the_manager_api(ann, bob):
    a, b, c = add(ann), add(ann), add(ann)
    add(bob)
    rows = ann.vox_inapp_messages
    assert rows.unread().count() == 3 and rows.unseen().count() == 3
    b.mark_read()
    c.archive()
    assert set(rows.unread()) == {a} and set(rows.read()) == {b} and set(rows.archived()) == {c}
    assert rows.mark_all_seen() == 2 and rows.unseen().count() == 0  # a, and the archived c
    assert rows.mark_all_read() == 2  # a, and the archived c
    assert rows.unread().count() == 0
    assert InAppMessage.objects.for_user(bob).unread().count() == 1
    for method in (a.mark_read, a.mark_unread, a.mark_seen, a.archive,
                   rows.mark_all_read, rows.mark_all_seen):
        assert method.alters_data


@pytest.mark.django_db
def test_templates_cannot_change_messages(ann):
    message = add(ann)
    Template("{{ m.mark_read }}{{ m.archive }}{{ rows.mark_all_read }}").render(
        Context({"m": message, "rows": ann.vox_inapp_messages}))
    message.refresh_from_db()
    assert message.state == "unseen"


# -- the list -------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_list_pages_with_a_cursor(ann, ann_client):
    made = [add(ann, f"M{i}") for i in range(5)]
    first = ann_client.get(url("messages"), {"limit": 2}).json()
    assert [m["title"] for m in first["results"]] == ["M4", "M3"]
    second = ann_client.get(url("messages"), {"limit": 2, "before": first["next_cursor"]}).json()
    assert [m["title"] for m in second["results"]] == ["M2", "M1"]
    last = ann_client.get(url("messages"), {"limit": 2, "before": second["next_cursor"]}).json()
    assert [m["title"] for m in last["results"]] == ["M0"] and last["next_cursor"] is None
    item = first["results"][0]
    assert item == {"id": made[4].pk, "title": "M4", "body": "<p>M4</p>", "link": "",
                    "created_at": made[4].created_at.isoformat(), "state": "unseen",
                    "seen": False, "read": False, "archived": False, "object": None,
                    "actor": None, "target": None}
    for bad in ({"limit": 0}, {"limit": 101}, {"before": "x"}, {"filter": "spam"}):
        answer = ann_client.get(url("messages"), bad)
        assert answer.status_code == 400 and answer.json()["error"], bad


@pytest.mark.django_db
def test_the_page_works_without_javascript(ann, ann_client):
    messages = [add(ann, f"M{i}") for i in range(25)]
    page = ann_client.get(url("page"))
    shown = re.findall(r"<strong>(M\d+)</strong>", page.text)
    assert page.status_code == 200 and shown == [f"M{i}" for i in range(24, 4, -1)]
    assert 'rel="next"' in page.text
    older = ann_client.get(url("page"), {"before": messages[5].pk})
    assert re.findall(r"<strong>(M\d+)</strong>", older.text) == ["M4", "M3", "M2", "M1", "M0"]
    done = ann_client.post(url("change", messages[3].pk, "read"), {"next": "/vox/inapp/?x=1"})
    assert done.status_code == 302 and done["Location"] == "/vox/inapp/?x=1"
    elsewhere = ann_client.post(url("change", messages[3].pk, "read"),
                                {"next": "https://evil.example/"})
    assert elsewhere.status_code == 200  # no open redirect: JSON instead
    assert ann_client.post(url("all", "read"), {"next": "/vox/inapp/"}).status_code == 302
    assert ann.vox_inapp_messages.unread().count() == 0


# -- the count: ETag and 304 --------------------------------------------------------------
@pytest.mark.django_db
def test_count_answers_304_to_a_matching_etag_with_one_query(ann, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    client = Client()
    client.force_login(ann)
    add(ann)
    first = client.get(url("count"))
    etag = first["ETag"]
    assert first.status_code == 200 and first.json()["unread"] == 1
    assert "private" in first["Cache-Control"] and "Cookie" in first["Vary"]
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url("count"), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    inapp = [q["sql"] for q in queries.captured_queries if "django_vox_inappmessage" in q["sql"]]
    others = [q["sql"] for q in queries.captured_queries if q["sql"] not in inapp]
    assert len(inapp) == 1
    # Nothing else but Django loading the signed-in user for the session.
    assert len(others) == 1 and others[0].startswith('SELECT "auth_user"')
    add(ann)
    changed = client.get(url("count"), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert client.get(url("count"), HTTP_IF_NONE_MATCH=f'W/{changed["ETag"]}, "x"') \
        .status_code == 304


@pytest.mark.django_db
def test_the_unread_count_reads_its_partial_index(ann):
    add(ann)
    rows = InAppMessage.objects.for_user(ann).unread().order_by().values("pk")
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # a tiny table: make the planner show its choice
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "django_vox_inapp_unread" in plan


# -- template tags ----------------------------------------------------------------------
@pytest.mark.django_db
def test_the_tags_render_the_count_and_the_bell(ann, rf):
    add(ann)
    add(ann).mark_read()
    request = rf.get("/")
    request.user = ann
    text = Template("{% load vox_inapp %}[{% vox_unread_count %}]{% vox_unread_count as n %}"
                    "{{ n }}{% vox_bell %}").render(Context({"request": request,
                                                             "csrf_token": "tok"}))
    assert text.startswith("[1]1")
    assert 'aria-label="Notifications, 1 unread"' in text
    assert 'data-count-url="/vox/inapp/api/count/"' in text and 'data-csrf="tok"' in text
    assert 'data-interval="30"' in text and 'data-live="poll"' in text
    assert "django_vox/inapp/bell.js" in text


@pytest.mark.django_db
def test_the_tags_show_nothing_to_anonymous_visitors(rf):
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/")
    request.user = AnonymousUser()
    text = Template("{% load vox_inapp %}[{% vox_unread_count %}]{% vox_bell %}").render(
        Context({"request": request}))
    assert text.strip() == "[0]"


# -- server-sent events --------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_the_stream_sends_the_count_and_its_changes(ann, settings):
    settings.DJANGO_VOX_INAPP_POLL_INTERVAL = 1
    from asgiref.sync import sync_to_async

    async def run():
        client = AsyncClient()
        await client.aforce_login(ann)
        response = await client.get(url("stream"))
        assert response.status_code == 200
        assert response["Content-Type"] == "text/event-stream"
        events = response.streaming_content
        assert await anext(events) == b"retry: 1000\n\n"
        assert await anext(events) == b'event: count\ndata: {"unread": 0, "newest": 0}\n\n'
        message = await sync_to_async(add)(ann)
        chunk = await anext(events)
        while chunk == b": idle\n\n":
            chunk = await anext(events)
        assert chunk == (b'event: count\ndata: {"unread": 1, "newest": %d}\n\n' % message.pk)
        await events.aclose()
        anonymous = await AsyncClient().get(url("stream"))
        assert anonymous.status_code == 401
        await sync_to_async(connections.close_all)()  # the worker thread's connection

    run_in_own_thread(run)


def run_in_own_thread(coroutine_function):
    """``asyncio.run()`` in a thread of its own: the browser tests' Playwright
    keeps an event loop running in the main thread for the whole session."""
    outcome = {}

    def target():
        try:
            asyncio.run(coroutine_function())
        except BaseException as err:  # noqa: BLE001 - raised again in the test's thread
            outcome["error"] = err

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(120)
    assert not thread.is_alive(), "the stream test did not finish"
    if "error" in outcome:
        raise outcome["error"]


@pytest.mark.django_db
def test_the_stream_refuses_wsgi(ann_client):
    answer = ann_client.get(url("stream"))
    assert answer.status_code == 501 and "ASGI" in answer.json()["error"]


@pytest.mark.django_db(transaction=True)
def test_the_stream_opts_out_of_atomic_requests(ann, ann_client, monkeypatch):
    """Django refuses ATOMIC_REQUESTS for an async view (a RuntimeError, a 500):
    the stream is never in the request's transaction, under ASGI or WSGI."""
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    from asgiref.sync import sync_to_async

    async def run():
        refused = await sync_to_async(ann_client.get)(url("stream"))  # WSGI
        assert refused.status_code == 501
        client = AsyncClient()
        await client.aforce_login(ann)
        response = await client.get(url("stream"))
        assert response.status_code == 200
        events = response.streaming_content
        assert await anext(events) == b"retry: 30000\n\n"
        assert await anext(events) == b'event: count\ndata: {"unread": 0, "newest": 0}\n\n'
        await events.aclose()
        await sync_to_async(connections.close_all)()

    run_in_own_thread(run)


# -- settings ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "value", "check_id"), [
    ("DJANGO_VOX_INAPP_LIVE", "websocket", "E046"),
    ("DJANGO_VOX_INAPP_POLL_INTERVAL", 0, "E047"),
    ("DJANGO_VOX_INAPP_POLL_INTERVAL", 2.5, "E047"),
    ("DJANGO_VOX_INAPP_RETENTION", -1, "E048"),
    ("DJANGO_VOX_INAPP_RETENTION", 1.5, "E048"),
])
def test_inapp_settings_that_cannot_work_are_check_errors(settings, name, value, check_id):
    setattr(settings, name, value)
    (message,) = checks.check_settings()
    assert (message.id, message.obj) == (f"django_vox.{check_id}", name)
    assert name in message.msg


@pytest.mark.parametrize(("name", "value"), [
    ("DJANGO_VOX_INAPP_LIVE", "sse"), ("DJANGO_VOX_INAPP_POLL_INTERVAL", 5),
    ("DJANGO_VOX_INAPP_RETENTION", None), ("DJANGO_VOX_INAPP_RETENTION", 86400),
])
def test_inapp_settings_that_work(settings, name, value):
    setattr(settings, name, value)
    assert [m for m in django_checks.run_checks(tags=["django_vox"])
            if m.id.startswith("django_vox.E04")] == []


# -- retention ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_vox_purge_deletes_read_messages_past_the_retention(ann, settings, capsys):
    settings.DJANGO_VOX_INAPP_RETENTION = 86400
    long_ago = timezone.now() - dt.timedelta(days=2)
    old_read = add(ann, "old read", read_at=long_ago, seen_at=long_ago)
    old_unread = add(ann, "old unread", created_at=long_ago)
    recent_read = add(ann, "recent read", read_at=timezone.now())
    call_command("vox_purge", "--dry-run")
    assert "Would delete 1 read in-app messages." in capsys.readouterr().out
    call_command("vox_purge")
    assert "Deleted 1 read in-app messages" in capsys.readouterr().out
    assert set(InAppMessage.objects.all()) == {old_unread, recent_read}
    assert not InAppMessage.objects.filter(pk=old_read.pk).exists()
    settings.DJANGO_VOX_INAPP_RETENTION = None
    recent_read.read_at = long_ago
    recent_read.save()
    call_command("vox_purge")
    assert InAppMessage.objects.count() == 2  # None: kept for ever
