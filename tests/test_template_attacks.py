"""Each attack of issue 17, through the three ways an editor's template is rendered:
the admin preview, a real send over SMTP, and the one-time message action."""

import os

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from django_vox.backends import locmem
from django_vox.models import Delivery, Notification
from tests.backends.email_helpers import parts, vox_email  # noqa: F401
from tests.test_admin_actions import CHANGELIST, NOTIFY_PERMS, action_post, messages_of
from tests.test_admin_helpers import make_user
from tests.testapp.models import Article, Comment, Subscriber
from tests.testapp.registrations import ArticleRegistration

pytestmark = pytest.mark.django_db

ROOT = "object.editors.all.query.get_meta.app_config"
SECRET_WALKS = [
    "{{ " + ROOT + ".apps.app_configs.auth.module.settings.SECRET_KEY }}",
    "{{ " + ROOT + ".module.settings.DATABASES.default.PASSWORD }}",
    "{{ " + ROOT + ".apps.app_configs.django_vox.module.registry.os.environ }}",
    "{{ object.author.articles.all.query.model.objects.model }}",
    "{{ recipient.articles.all.query.get_meta.app_config.module.settings.SECRET_KEY }}",
    "{{ object.readers.all.0.articles.all.query }}",
    "{{ settings.SECRET_KEY }}{{ request.META }}{{ user.password }}{{ perms }}",
]
CALLS = ("{{ " + ROOT + ".apps.app_configs.django_vox.module.registry.os.abort }}"
         "{{ " + ROOT + ".apps.app_configs.django_vox.module.registry.os.fork }}"
         "{{ object.author.articles.all.query.model.objects.model.check }}")
HASHES = ("{{ notification.actor_type.get_all_objects_for_this_type.values }}"
          "{{ object.author.password }}{{ object.author.get_session_auth_hash }}"
          "{{ recipient.password }}{{ actor.password }}"
          "{%\nif 1 %}{{ object.author.password }}{%\nendif %}")
RESEND = "{% for d in notification.deliveries.all %}{{ d.resend }}{% endfor %}"
SECRET_MARKERS = (settings.SECRET_KEY, "hunter2-env-secret")


@pytest.fixture
def recorded_calls(monkeypatch):
    calls = []
    for name in ("abort", "fork"):  # (os.getpid has honest callers: mail's Message-ID)
        monkeypatch.setattr(os, name, lambda name=name: calls.append(name) or 1)
    monkeypatch.setattr(Delivery, "resend", lambda self: calls.append("resend"))
    monkeypatch.setenv("VOX_TEST_SECRET", "hunter2-env-secret")
    return calls


@pytest.fixture
def article():
    user = get_user_model().objects.create_user("author", "author@example.org", "pw")
    article = Article.objects.create(author=user, title="Kept")
    article.editors.add(user)
    reader = Subscriber.objects.create(name="Reader", email="reader@example.org")
    article.readers.add(reader)
    Comment.objects.create(article=article, name="C", text="t")
    notification = Notification.objects.get_for_model(Article, "published")
    Delivery.objects.create(notification=notification, backend="locmem", protocol="email",
                            to_addresses=["x@example.org"], status=Delivery.FAILED, message={})
    return article


def assert_harmless(text, article, calls):
    for marker in SECRET_MARKERS + (article.author.password,
                                    article.author.get_session_auth_hash()):
        assert marker not in text
    assert "pbkdf2" not in text and "<QuerySet" not in text and "environ" not in text
    assert calls == []


def preview(client, content, subject=""):
    notification = Notification.objects.get_for_model(Article, "published")
    return client.post(reverse("admin:django_vox_notification_preview", args=[notification.pk]),
                       {"backend": "locmem", "content": content, "subject": subject})


@pytest.mark.parametrize("content", SECRET_WALKS + [CALLS, HASHES, RESEND])
def test_attacks_through_the_admin_preview(admin_client, article, recorded_calls, content):
    response = preview(admin_client, "Start|" + content + "|end")
    assert response.status_code == 200, response.content
    html = response.json()["html"]
    assert "Start|" in html and "|end" in html
    assert_harmless(html, article, recorded_calls)
    assert Delivery.objects.filter(status=Delivery.FAILED).count() == 1


def test_budget_attacks_through_the_admin_preview(admin_client, article):
    loops = "{% for a in s %}{% for b in s %}{% for c in s %}x{% endfor %}{% endfor %}{% endfor %}"
    response = preview(admin_client, "{% with s=object.title|ljust:400 %}" + loops
                       + "{% endwith %}")
    assert response.status_code == 400
    assert "loops ran more than 10000 times" in response.json()["error"]
    response = preview(admin_client, 'a\n{{ "x"|ljust:"60000000" }}')
    assert response.status_code == 400
    assert 'Line 2: The filter ljust:"60000000" asks for more than 1000' in \
        response.json()["error"]


@pytest.mark.parametrize("tag", ["{% load static %}", "{% include 'x.html' %}", "{% debug %}",
                                 "{% url 'admin:index' %}", "{% csrf_token %}"])
def test_refused_tags_through_the_admin_preview(admin_client, article, tag):
    response = preview(admin_client, "Hi\n" + tag)
    assert response.status_code == 400
    assert "Line 2:" in response.json()["error"] and "is not available" in \
        response.json()["error"]


def test_preview_without_permission_to_view_the_model_uses_a_made_up_sample(
        client, django_user_model, article):
    editor = make_user(django_user_model, "editor", "django_vox.view_notification",
                       "django_vox.change_notification")
    client.force_login(editor)
    response = preview(client, "{{ object.title }}|{{ object.author.username }}|"
                       "{{ object.author.email }}|{{ object.readers.count }}")
    assert response.status_code == 200
    html = response.json()["html"]
    assert "Sample title|Sample username|sample@example.org|0" in html
    assert "Kept" not in html and "author@example.org" not in html
    # with the permissions, the newest real objects are shown
    editor.user_permissions.add(*_perms("testapp.view_article", "auth.view_user"))
    client.force_login(get_user_model().objects.get(pk=editor.pk))
    html = preview(client, "{{ object.title }}|{{ object.author.username }}").json()["html"]
    assert "Kept|author" in html


def _perms(*names):
    from django.contrib.auth.models import Permission

    return [Permission.objects.get(content_type__app_label=name.split(".")[0],
                                   codename=name.split(".")[1]) for name in names]


@pytest.mark.usefixtures("vox_email")
def test_attacks_through_a_real_send_over_smtp(smtp_server, make_template, committed, article,
                                               recorded_calls):
    content = "|".join(SECRET_WALKS + [CALLS, HASHES, RESEND, "{{ object.title }}"])
    make_template(Article, "published", backend="email-html", recipients="c:author",
                  subject="{{ object.author.password }}Hi", content=content)
    with committed():
        ArticleRegistration.published.issue(article)
    [message] = smtp_server.messages
    text = message.as_string()
    assert message["Subject"] == "Hi" and "Kept" in parts(message)["text/html"]
    assert_harmless(text, article, recorded_calls)
    assert Delivery.objects.filter(status=Delivery.FAILED).count() == 1


@pytest.mark.usefixtures("vox_email")
def test_budget_attacks_in_a_real_send_fail_the_message_not_the_server(
        smtp_server, make_template, committed, article, settings):
    settings.DJANGO_VOX_THROW_EXCEPTIONS = False
    make_template(Article, "published", backend="email-html", recipients="c:author",
                  content="{% for a in s %}{% endfor %}{{ 'x'|ljust:'60000000' }}")
    with committed():
        ArticleRegistration.published.issue(article)
    assert smtp_server.messages == []


@pytest.mark.urls("tests.test_admin_actions")
def test_attacks_through_the_one_time_message_action(client, django_user_model, article,
                                                     recorded_calls):
    client.force_login(make_user(django_user_model, "sender", *NOTIFY_PERMS))
    reader = Subscriber.objects.get()
    body = "|".join(SECRET_WALKS + [CALLS, HASHES.replace("notification.", "object."),
                                    RESEND.replace("notification", "recipient"),
                                    "{{ object.name }}"])
    response = client.post(CHANGELIST, action_post([reader.pk], apply="Send", backend="locmem",
                                                   subject="Hi", body=body), follow=True)
    assert "1 sent, 0 failed" in messages_of(response)
    [message] = locmem.outbox
    assert message.body.endswith("|Reader")
    assert_harmless(message.body, article, recorded_calls)


@pytest.mark.urls("tests.test_admin_actions")
def test_one_time_message_action_refuses_budget_attacks(client, django_user_model, article):
    client.force_login(make_user(django_user_model, "sender", *NOTIFY_PERMS))
    reader = Subscriber.objects.get()
    response = client.post(CHANGELIST, action_post(
        [reader.pk], apply="Send", backend="locmem", subject="Hi",
        body="{% for a in object.name %}{% for b in object.name %}{% endfor %}{% endfor %}"
             "{{ 'x'|ljust:'60000000' }}"), follow=True)
    assert not locmem.outbox and not Delivery.objects.exclude(status=Delivery.FAILED).exists()
    assert 'Nothing was sent: Line 1: The filter ljust:"60000000"' in messages_of(response)
