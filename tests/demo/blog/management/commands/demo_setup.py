"""Seed the demo blog on its first run and print how to log in.

Safe to run again: it only adds what is missing (and resets the demo
author's password, so the login it prints always works).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from django_vox.models import Notification, SiteContact
from django_vox.registry import backends
from django_vox.registry.sync import sync_notifications
from tests.demo.blog.models import Article, Comment, Subscriber

AUTHOR_EMAIL = "author@example.org"
AUTHOR_PASSWORD = "password"

ARTICLES = [
    ("Welcome to the demo blog",
     "This blog shows django-vox at work. Subscribe on the front page, then post an "
     "article in the admin: every subscriber gets a mail with a link for commenting, "
     "and the author gets a mail for every comment."),
    ("Editing the messages",
     "Every notification's copy lives in the admin under Notifications. Change the "
     "subject or the text of a template and post another article to see it."),
]
# One subscriber reads French: the demo runs in English and French.
SUBSCRIBERS = [("Ada Lovelace", "ada@example.org"), ("Grace Hopper", "grace@example.org"),
               ("Marie Curie", "marie@example.org")]
#: The subscribers who read French.
FRENCH_READERS = {"marie@example.org"}
#: Ada has an account: signed in, she sees the in-app bell.
SUBSCRIBER_LOGIN = ("ada@example.org", "password")

SITE_CONTACTS = [
    # (protocol, name, address): one per protocol editors may want to try.
    ("email", "Editors", "editors@example.org"),
    ("slack-webhook", "Slack #blog", "http://127.0.0.1:9/slack/blog"),
    ("json-webhook", "Webhook receiver", "http://127.0.0.1:9/hooks/blog"),
    ("sms", "Editor on call", "+12015550123"),  # a valid number from the fictional 555-01xx range
]

# (model label, codename): (recipients, subject, HTML content) for the email templates.
EMAIL_TEMPLATES = {
    ("blog.subscriber", "created"): (
        "si",
        "New subscriber: {{ object.name }}",
        "<p>{{ object.name }} ({{ object.email }}) has subscribed to the blog.</p>",
    ),
    ("blog.article", "posted"): (
        "c:subscribers",
        "New on the blog: {{ object.title }}",
        "<p>Hello {{ recipient.name }},</p>\n"
        "<p>{{ actor.get_username }} has posted <strong>{{ object.title }}</strong>:</p>\n"
        "<blockquote>{{ object.body|truncatewords:40 }}</blockquote>\n"
        '<p><a href="{{ object.url }}?subscriber={{ recipient.token }}">'
        "Read it and leave a comment</a></p>\n"
        '<p><small><a href="{{ unsubscribe_url }}">Stop these mails</a> · '
        '<a href="{{ preferences_url }}">Choose which mails you get</a></small></p>',
    ),
    ("blog.comment", "posted"): (
        "c:author",
        "{{ actor.name }} commented on {{ object.article.title }}",
        "<p>{{ actor.name }} ({{ actor.email }}) wrote:</p>\n"
        "<blockquote>{{ object.text|linebreaksbr }}</blockquote>\n"
        '<p><a href="{{ object.url }}">See it on the site</a></p>',
    ),
}

# Comments reach the article's author at once, then, while more keep coming, as
# one hourly digest (docs/digests.rst).
COMMENT_DIGEST = {
    "delivery_mode": "busy",
    "digest_window": "hourly",
    "digest_subject": "{{ count }} new comments on your articles",
    "digest_content": (
        "<p>Comments in the last hour:</p>\n<ul>{% for item in items %}\n"
        "<li>{{ item.actor.name }} on <a href=\"{{ item.object.url }}\">"
        "{{ item.object.article.title }}</a>: {{ item.object.text|truncatewords:20 }}</li>"
        "{% endfor %}\n</ul>"),
}

# In-app messages (the bell): for signed-in subscribers and the author.
INAPP_TEMPLATES = {
    ("blog.article", "posted"): (
        "c:subscribers",
        "New article: {{ object.title }}",
        "{{ actor.get_username }} has posted **{{ object.title }}**.\n\n"
        "[Read it]({{ object.url }})",
    ),
    ("blog.comment", "posted"): (
        "c:author",
        "{{ actor.name }} commented on {{ object.article.title }}",
        "> {{ object.text|truncatewords:30 }}",
    ),
}

# Disabled templates for the other protocols' site contacts: editors enable them to try.
SITE_CONTACT_TEMPLATES = {
    "slack-webhook": "*{{ object.name }}* ({{ object.email }}) subscribed to the blog.",
    "json-webhook": "event: subscribed\nname: {{ object.name }}\nemail: {{ object.email }}",
    "sms": "New blog subscriber: {{ object.name }}",
}

MARKDOWN_ARTICLE = (
    "Hello {{ recipient.name }},\n\n"
    "**{{ object.title }}** is out:\n\n"
    "> {{ object.body|truncatewords:40 }}\n\n"
    "[Read it and comment]({{ object.url }}?subscriber={{ recipient.token }})\n\n"
    "[Stop these mails]({{ unsubscribe_url }})\n"
)


class Command(BaseCommand):
    help = "Seed the demo blog (only what is missing) and print the admin login."

    def handle(self, *args, **options):
        sync_notifications()
        with transaction.atomic():
            created = self.seed()
        if created:
            self.stdout.write(f"Seeded the demo: {', '.join(created)}.")
        else:
            self.stdout.write("The demo data is already there.")
        site = f"{'https' if settings.SITE_SSL else 'http'}://{settings.SITE_DOMAIN}/"
        self.stdout.write(self.style.SUCCESS(
            f"\n  The blog:   {site}\n"
            f"  The admin:  {site}admin/\n"
            f"  Log in as:  {AUTHOR_EMAIL} / {AUTHOR_PASSWORD}\n"
            f"  Subscriber: {SUBSCRIBER_LOGIN[0]} / {SUBSCRIBER_LOGIN[1]} "
            f"(sign in on the blog to see the bell)\n"
            "  Mail is printed in this terminal.\n"))

    def seed(self):
        created = []
        author = self.author(created)
        # Subscribers and content before the templates, so seeding sends nothing.
        for name, email in SUBSCRIBERS:
            if not Subscriber.objects.filter(email=email).exists():
                Subscriber.objects.create(name=name, email=email,
                                          language="fr" if email in FRENCH_READERS else "")
                created.append(f"subscriber {email}")
        for title, body in ARTICLES:
            if not Article.objects.filter(title=title).exists():
                Article.objects.create(author=author, title=title, body=body)
                created.append(f"article {title!r}")
        self.subscriber_account(created)
        first = Article.objects.filter(title=ARTICLES[0][0]).first()
        if first and not first.comments.exists():
            Comment.objects.create(article=first, subscriber=Subscriber.objects.get(
                email=SUBSCRIBERS[0][1]), text="Lovely. Where do I change the mails?")
            created.append("a comment")
        for protocol, name, address in SITE_CONTACTS:
            _contact, new = SiteContact.objects.get_or_create(
                protocol=protocol, address=address, defaults={"name": name})
            if new:
                created.append(f"{protocol} site contact")
        self.templates(created)
        return created

    def author(self, created):
        User = get_user_model()
        user = User.objects.filter(username=AUTHOR_EMAIL).first()
        if user is None:
            user = User.objects.create_superuser(AUTHOR_EMAIL, AUTHOR_EMAIL, AUTHOR_PASSWORD)
            created.append(f"superuser {AUTHOR_EMAIL}")
        elif not user.check_password(AUTHOR_PASSWORD) or not user.is_active:
            user.set_password(AUTHOR_PASSWORD)
            user.is_active = user.is_staff = user.is_superuser = True
            user.save()
        return user

    def subscriber_account(self, created):
        """Ada's account (the login printed), linked to her subscription."""
        User = get_user_model()
        username, password = SUBSCRIBER_LOGIN
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username, username, password, first_name="Ada")
            created.append(f"user {username}")
        elif not user.check_password(password):
            user.set_password(password)
            user.save()
        Subscriber.objects.filter(email=username, user=None).update(user=user)

    def templates(self, created):
        email_backend = pick_backend("email", preferred="email-html")
        if email_backend is None:
            self.stderr.write("No email backend is enabled: the demo mails are not seeded.")
        for (label, codename), (recipients, subject, content) in EMAIL_TEMPLATES.items():
            notification = notification_row(label, codename)
            if email_backend is not None:
                extra = COMMENT_DIGEST if label == "blog.comment" else {}
                add_template(created, notification, email_backend, recipients=recipients,
                             subject=subject, content=content, **extra)
            if label == "blog.article" and "email-md" in backends:
                add_template(created, notification, "email-md", recipients=recipients,
                             subject=subject, content=MARKDOWN_ARTICLE, enabled=False)
        if "inapp" in backends:
            for (label, codename), (recipients, subject, content) in INAPP_TEMPLATES.items():
                add_template(created, notification_row(label, codename), "inapp",
                             recipients=recipients, subject=subject, content=content)
        created_notification = notification_row("blog.subscriber", "created")
        for protocol, content in SITE_CONTACT_TEMPLATES.items():
            backend_id = pick_backend(protocol)
            if backend_id is not None:
                add_template(created, created_notification, backend_id, recipients="si",
                             content=content, enabled=False)


def pick_backend(protocol, preferred=None):
    """The ID of an enabled backend for ``protocol`` (``preferred`` if enabled)."""
    if preferred and preferred in backends:
        return preferred
    found = backends.by_protocol(protocol)
    return found[0].ID if found else None


def notification_row(label, codename):
    app_label, model = label.split(".")
    return Notification.objects.get(object_type__app_label=app_label,
                                    object_type__model=model, codename=codename)


def add_template(created, notification, backend_id, **fields):
    if not notification.templates.filter(backend=backend_id).exists():
        notification.templates.create(backend=backend_id, **fields)
        created.append(f"{backend_id} template for {notification}")
