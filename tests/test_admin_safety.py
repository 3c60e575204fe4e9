"""What an editor's template can and cannot do.

Templates written in the admin must not change data (they get data, not
objects; preview and one-time messages render in a rolled-back transaction),
must not reach settings, other templates or debug output, nor password
fields.
"""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from django_vox.admin.forms import editor_template_problem
from django_vox.backends import locmem
from django_vox.exceptions import TemplateRenderError
from django_vox.issuing.manual import send_one_time
from django_vox.models import Notification
from django_vox.registry import TemplateVariable, objects
from django_vox.templating import rendering
from tests.testapp.models import Article, Comment, Depot, Subscriber
from tests.testapp.registrations import ArticleRegistration

pytestmark = [pytest.mark.django_db,
              pytest.mark.article(title="Kept", editors=["ann"], readers=["R"], comments=["first"])]

WRITES = ("{{ object.delete }}{{ object.save }}{{ object.editors.clear }}"
          "{{ object.comments.all.delete }}{{ object.comments.create }}"
          "{{ object.author.delete }}{{ object.readers.clear }}")


def assert_untouched(article):
    article.refresh_from_db()
    assert article.title == "Kept"
    assert article.editors.count() == 1 and article.readers.count() == 1
    assert Comment.objects.count() == 1
    assert get_user_model().objects.filter(username="ann").exists()


def test_alters_data_methods_are_not_called_by_render(article):
    assert rendering.render(WRITES + "{{ object.title }}", {"object": article}) == "Kept"
    assert_untouched(article)


def test_issuing_a_template_that_calls_writing_methods_changes_nothing(article, make_template,
                                                                       committed):
    make_template(Article, "published", recipients="c:author", content=WRITES + "Still here")
    with committed():
        ArticleRegistration.published.issue(article)
    assert [m.body for m in locmem.outbox] == ["Still here"]
    assert_untouched(article)


class WritingArticleRegistration(ArticleRegistration):
    """A developer's mistake: a declared variable that writes."""

    template_variables = {"touch": TemplateVariable("touch", lambda article: _touch())}


def _touch():
    Depot.objects.create(name="written by a template")
    return "touched"


def test_preview_rolls_back_writes_of_declared_variables(admin_client, article, monkeypatch):
    monkeypatch.setattr(objects[Article], "registration", WritingArticleRegistration(Article))
    notification = Notification.objects.get_for_model(Article, "published")
    response = admin_client.post(
        reverse("admin:django_vox_notification_preview", args=[notification.pk]),
        {"backend": "locmem", "content": WRITES + "{{ object.touch }}"})
    assert "touched" in response.json()["html"]
    assert not Depot.objects.exists()
    assert_untouched(article)


def test_one_time_message_rendering_rolls_back_writes(monkeypatch):
    subscriber = Subscriber.objects.create(name="S", email="s@example.org")

    class Writing(type(objects[Subscriber].registration)):
        template_variables = {"touch": TemplateVariable("touch", lambda s: _touch())}

    monkeypatch.setattr(objects[Subscriber], "registration", Writing(Subscriber))
    result = send_one_time([subscriber], "locmem", "", "{{ object.touch }} {{ object.delete }}")
    assert result.sent == 1 and locmem.outbox[0].body == "touched "
    assert not Depot.objects.exists()
    assert Subscriber.objects.filter(pk=subscriber.pk).exists()


@pytest.mark.parametrize("source,words", [
    ("{% debug %}", "debug"),
    ("{% load static %}", "load"),
    ("{% include 'admin/base.html' %}", "include"),
    ("{% extends 'admin/base.html' %}", "extends"),
    ("{% ssi '/etc/passwd' %}", "ssi"),
    ("{{ object.__class__ }}", "underscore"),
    ("{{ object._meta }}", "underscore"),
])
def test_dangerous_tags_and_private_attributes_are_refused(source, words):
    problem = rendering.check_template(source)
    assert problem and words in problem
    with pytest.raises(TemplateRenderError):
        rendering.render(source, {})


def test_settings_are_not_reachable(admin_client, article):
    assert rendering.render("[{{ settings.SECRET_KEY }}{{ SECRET_KEY }}{{ request }}]", {}) == "[]"
    notification = Notification.objects.get_for_model(Article, "published")
    response = admin_client.post(
        reverse("admin:django_vox_notification_preview", args=[notification.pk]),
        {"backend": "locmem",
         "content": "{{ settings.SECRET_KEY }}|{{ request.META }}|{{ perms }}|{{ user }}|"
                    "{{ csrf_token }}|{{ notification.description }}"})
    html = response.json()["html"]
    assert settings.SECRET_KEY not in html
    assert html.count("|") == 5 and "An article was published" in html
    assert "admin" not in html  # the logged-in user is not in the context


def test_the_word_password_is_no_longer_refused_only_unreachable():
    # The sandbox rests on what the context holds, not on words in the source.
    assert editor_template_problem("Your password reset: {{ object.title }}") is None
    assert editor_template_problem("{{ recipient.password }}") is None


def test_preview_prints_no_password_and_names_the_unreachable_variable(admin_client, article):
    article.author.set_password("secret")
    article.author.save()
    notification = Notification.objects.get_for_model(Article, "published")
    response = admin_client.post(
        reverse("admin:django_vox_notification_preview", args=[notification.pk]),
        {"backend": "locmem", "content": "[{{ object.author.password }}]\n"
                                         "{%\nif 1 %}{{ object.author.password }}{%\nendif %}"})
    assert response.status_code == 200
    body = response.json()
    assert "[]" in body["html"] and article.author.password not in response.content.decode()
    assert body["warnings"] == [
        "Content, line 1: object.author.password is not something templates can reach."]
