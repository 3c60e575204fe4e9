"""The benchmark cases: each has our implementation and the floor.

The floor is plain Django doing the same work by hand: compile the same
templates once, render them per recipient, make the text part with html2text,
build the messages and send them all over one connection.  Ours is one
``issue()`` of a notification whose template holds the same sources, through
the whole pipeline (recipients → contacts → messages → delivery log → backend).

Both sides get the same prepared objects and are timed from the same point;
the worker (``bench.worker``) does the timing.
"""

import json

from django.conf import settings
from django.core import mail
from django.template import Context, Engine

from bench import suppressed
from bench.app.models import Member, Post, audience_of

SUBJECT = "{{ object.title }}: news for {{ recipient.name }}"
BODY = """<html><body>
<h1>{{ object.title }}</h1>
<p>Hello {{ recipient.name }},</p>
<p>{{ object.body|linebreaksbr }}</p>
<p>Read it on <a href="{{ object.url }}?to={{ recipient.pk }}">our site</a>.</p>
<table>
<tr><th>Post</th><td>#{{ object.pk }}</td></tr>
<tr><th>Sent to</th><td>{{ recipient.email }}</td></tr>
</table>
<p>You receive this because you are a member. <em>Thank you</em> &amp; goodbye.</p>
</body></html>"""
BULK_SUBJECT = "{{ object.title }}"
BULK_BODY = """<html><body>
<h1>{{ object.title }}</h1>
<p>{{ object.body|linebreaksbr }}</p>
<p>Read it on <a href="{{ object.url }}">our site</a>.</p>
</body></html>"""
WEBHOOK_BODY = """event: published
post: {{ object.pk }}
title: {{ object.title }}
member: {{ recipient.pk }}
name: {{ recipient.name }}"""
XMPP_BODY = "{{ object.title }}: hello {{ recipient.name }}, read it at {{ object.url }}"
POSTMARK_ALIAS = "post-published"
POSTMARK_BODY = """title: {{ object.title }}
name: {{ recipient.name }}
link: {{ object.url }}?to={{ recipient.pk }}"""

POST_BODY = ("We have shipped a new version.\nIt is faster, and it sends "
             "one message per member <without> surprises & with care.")

#: (notification codename, backend ID, template fields) for each case that issues.
TEMPLATES = {
    "fanout-email": ("published", "email-html", {"subject": SUBJECT, "content": BODY}),
    "bulk-email": ("digest", "email-html", {"subject": BULK_SUBJECT, "content": BULK_BODY,
                                            "bulk": True}),
    "webhook": ("hooked", "json-webhook", {"content": WEBHOOK_BODY}),
    "xmpp": ("pinged", "xmpp", {"content": XMPP_BODY}),
    "postmark-batch": ("mailed", "postmark-template", {"subject": POSTMARK_ALIAS,
                                                      "content": POSTMARK_BODY}),
    "rate-limit": ("paced", "email-html", {"subject": SUBJECT, "content": BODY}),
}
TEMPLATES["memory"] = TEMPLATES["fanout-email"]
TEMPLATES["enqueue"] = TEMPLATES["fanout-email"]
TEMPLATES["background-email"] = TEMPLATES["fanout-email"]
TEMPLATES["latency"] = TEMPLATES["fanout-email"]
TEMPLATES["fanout-suppressed"] = TEMPLATES["fanout-email"]

def make_post(n):
    return Post.objects.create(title="Version 5 is out", body=POST_BODY,
                               url="https://bench.example/posts/5", audience=n)


def _engine(autoescape):
    return Engine(autoescape=autoescape, debug=False)


def _html_to_text(html):
    import html2text

    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.unicode_snob = True
    return converter.handle(html).strip() + "\n"


def _issue(codename, post):
    from bench.app.registrations import PostRegistration

    getattr(PostRegistration, codename).issue(post)


# -- fanout-email --------------------------------------------------------------
def floor_fanout_email(post, chunk=1000):
    """One HTML email per member over one SMTP connection."""
    subject_template = _engine(False).from_string(SUBJECT)
    body_template = _engine(True).from_string(BODY)
    connection = mail.get_connection()
    connection.open()
    try:
        batch = []
        for member in audience_of(post).iterator(chunk_size=2000):
            params = {"object": post, "recipient": member}
            subject = subject_template.render(Context(params, autoescape=False))
            html = body_template.render(Context(params))
            email = mail.EmailMultiAlternatives(subject, _html_to_text(html),
                                                settings.DEFAULT_FROM_EMAIL, [member.email])
            email.attach_alternative(html, "text/html")
            batch.append(email)
            if len(batch) >= chunk:
                connection.send_messages(batch)
                batch = []
        connection.send_messages(batch)
    finally:
        connection.close()


def ours_fanout_email(post):
    _issue("published", post)


# -- bulk-email ----------------------------------------------------------------
def floor_bulk_email(post):
    """One HTML email to every member."""
    subject_template = _engine(False).from_string(BULK_SUBJECT)
    body_template = _engine(True).from_string(BULK_BODY)
    params = {"object": post}
    addresses = list(audience_of(post).values_list("email", flat=True))
    html = body_template.render(Context(params))
    email = mail.EmailMultiAlternatives(subject_template.render(Context(params, autoescape=False)),
                                        _html_to_text(html), settings.DEFAULT_FROM_EMAIL,
                                        addresses)
    email.attach_alternative(html, "text/html")
    with mail.get_connection() as connection:
        connection.send_messages([email])


def ours_bulk_email(post):
    _issue("digest", post)


# -- webhook -------------------------------------------------------------------
def parse_lines(text):
    """``key: value`` lines into a dict, as the JSON webhook backend reads its template."""
    data = {}
    for line in text.splitlines():
        key, colon, value = line.partition(":")
        if colon and key.strip():
            data[key.strip()] = value.strip()
    return data


def floor_webhook(post):
    """A plain requests.Session loop posting one JSON document per member."""
    import requests

    body_template = _engine(False).from_string(WEBHOOK_BODY)
    with requests.Session() as session:
        for member in audience_of(post).iterator(chunk_size=2000):
            payload = parse_lines(body_template.render(
                Context({"object": post, "recipient": member}, autoescape=False)))
            response = session.post(member.webhook, json=payload, timeout=10)
            response.raise_for_status()


def ours_webhook(post):
    _issue("hooked", post)


# -- xmpp ----------------------------------------------------------------------
def floor_xmpp(post):
    """A plain aioxmpp client sending every message in one session."""
    import asyncio

    import aioxmpp

    from bench.xmpp import make_client

    body_template = _engine(False).from_string(XMPP_BODY)
    messages = []
    for member in audience_of(post).iterator(chunk_size=2000):
        text = body_template.render(Context({"object": post, "recipient": member},
                                            autoescape=False))
        messages.append((member.jid, text))

    async def send_all():
        client = make_client(settings.DJANGO_VOX_XMPP_JID, settings.DJANGO_VOX_XMPP_PASSWORD,
                             settings.DJANGO_VOX_XMPP_SERVER)
        async with client.connected() as stream:
            for jid, text in messages:
                message = aioxmpp.Message(to=aioxmpp.JID.fromstr(jid),
                                          type_=aioxmpp.MessageType.CHAT)
                message.body[None] = text
                await stream.send(message)

    asyncio.run(send_all())


def ours_xmpp(post):
    _issue("pinged", post)


# -- postmark-batch --------------------------------------------------------------
def floor_postmark_batch(post, per_request=500):
    """The same template emails posted by hand to Postmark's batch endpoint."""
    import requests

    lines = [(key.strip(), _engine(False).from_string(value.strip()))
             for key, _colon, value in (line.partition(":")
                                        for line in POSTMARK_BODY.splitlines())]
    url = settings.DJANGO_VOX_POSTMARK_ENDPOINT + "/email/batchWithTemplates"
    headers = {"Accept": "application/json",
               "X-Postmark-Server-Token": settings.DJANGO_VOX_POSTMARK_TOKEN}
    messages = []
    with requests.Session() as session:
        for member in audience_of(post).iterator(chunk_size=2000):
            context = Context({"object": post, "recipient": member}, autoescape=False)
            messages.append({"From": settings.DEFAULT_FROM_EMAIL, "To": member.email,
                             "TemplateAlias": POSTMARK_ALIAS,
                             "TemplateModel": {key: template.render(context)
                                               for key, template in lines}})
            if len(messages) == per_request:
                session.post(url, json={"Messages": messages}, headers=headers,
                             timeout=30).raise_for_status()
                messages = []
        if messages:
            session.post(url, json={"Messages": messages}, headers=headers,
                         timeout=30).raise_for_status()


def ours_postmark_batch(post):
    _issue("mailed", post)


# -- background-email ------------------------------------------------------------
def ours_background_email(post):
    """What one task worker does for one background issue: the planning task
    (django_vox.tasks.deliver, which sends the last chunk itself), then each
    chunk it enqueued (django_vox.tasks.send_chunk), one after the other."""
    from django_vox.background import tasks
    from django_vox.models import IssueChunk, Notification

    notification = Notification.objects.get_for_model(Post, "published")
    result = tasks.deliver.call(notification.pk, tasks.model_ref(post))
    for chunk_id in IssueChunk.objects.filter(issue_id=result["issue_id"],
                                              state=IssueChunk.PENDING).values_list("pk",
                                                                                    flat=True):
        tasks.send_chunk.call(chunk_id)


# -- enqueue -------------------------------------------------------------------
def ours_enqueue(post):
    """issue() with DJANGO_VOX_ISSUE_METHOD = the background method: returns once queued.

    The worker sets the method for this case (BENCH_ISSUE_METHOD).
    """
    _issue("published", post)


IMPLEMENTATIONS = {
    ("fanout-email", "floor"): floor_fanout_email,
    ("fanout-email", "ours"): ours_fanout_email,
    ("memory", "floor"): floor_fanout_email,
    ("memory", "ours"): ours_fanout_email,
    ("bulk-email", "floor"): floor_bulk_email,
    ("bulk-email", "ours"): ours_bulk_email,
    ("webhook", "floor"): floor_webhook,
    ("webhook", "ours"): ours_webhook,
    ("xmpp", "floor"): floor_xmpp,
    ("xmpp", "ours"): ours_xmpp,
    ("enqueue", "ours"): ours_enqueue,
    ("background-email", "floor"): floor_fanout_email,
    # our in-process issue, the path the background one is measured against (issue 22)
    ("background-email", "inprocess"): ours_fanout_email,
    ("background-email", "ours"): ours_background_email,
    ("latency", "floor"): floor_fanout_email,
    ("latency", "ours"): ours_fanout_email,
    ("postmark-batch", "floor"): floor_postmark_batch,
    ("postmark-batch", "ours"): ours_postmark_batch,
    ("fanout-suppressed", "unsuppressed"): suppressed.unsuppressed,
    ("fanout-suppressed", "ours"): suppressed.ours,
}


def setup_database(max_n, webhook_base, jid_prefix):
    """Migrate, make ``max_n`` members and the templates of every case (idempotent)."""
    from django.core.management import call_command
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Concat

    from django_vox.models import Delivery, Notification, Template

    call_command("migrate", verbosity=0, interactive=False)
    have = Member.objects.count()
    if have < max_n:
        Member.objects.bulk_create(
            [Member(name=f"Member {i}", email=f"member{i}@bench.example")
             for i in range(have, max_n)], batch_size=2000)
    pk_text = Cast("pk", CharField())
    Member.objects.update(webhook=Concat(Value(webhook_base), pk_text),
                          jid=Concat(Value(jid_prefix), pk_text))
    Delivery.objects.all().delete()
    Post.objects.all().delete()
    for codename, backend, fields in TEMPLATES.values():
        notification = Notification.objects.get_for_model(Post, codename)
        Template.objects.update_or_create(
            notification=notification, backend=backend,
            defaults={"recipients": "c:audience", "enabled": True, "bulk": False, **fields})
    return json.dumps({"members": Member.objects.count()})
