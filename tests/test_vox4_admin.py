"""The 4.x admin names: URL names, NotifyForm, PermissionDenied from notify."""

import json

import pytest
from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

import django_vox.admin
from django_vox.backends import backends
from django_vox.exceptions import RemovedInDjangoVox6Warning
from django_vox.models import Notification
from tests.testapp.models import Article, Subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(db):
    return Notification.objects.get_for_model(Article, "published")


def test_the_4x_url_names_reverse(published):
    assert reverse("admin:django_vox_issue", args=[published.pk]) == reverse(
        "admin:django_vox_notification_issue", args=[published.pk])
    assert reverse("admin:django_vox_variables", args=[published.pk]).endswith(
        f"/notification/{published.pk}/variables/")
    assert reverse("admin:django_vox_preview", args=["locmem"]) == (
        "/admin/django_vox/notification/preview/locmem/")


def test_issue_page_under_the_4x_name(admin_client, published):
    response = admin_client.get(reverse("admin:django_vox_issue", args=[published.pk]))
    assert response.status_code == 200


PREVIEW_WARNING = (r"^The admin URL django_vox_preview is deprecated and removed in django-vox "
                   r"6\.0; preview a notification's template on its change page "
                   r"\(django_vox_notification_preview\)")


def test_variables_as_json(admin_client, published):
    with pytest.warns(RemovedInDjangoVox6Warning,
                      match=r"^The admin URL django_vox_variables is deprecated and removed in "
                            r"django-vox 6\.0; the template editor"):
        response = admin_client.get(reverse("admin:django_vox_variables", args=[published.pk]))
    assert response.status_code == 200
    data = json.loads(response.content)
    assert "object" in json.dumps(data["groups"])


def test_backend_preview(admin_client):
    url = reverse("admin:django_vox_preview", args=["locmem"])
    with pytest.warns(RemovedInDjangoVox6Warning, match=PREVIEW_WARNING):
        assert admin_client.get(url).status_code == 405
        response = admin_client.post(url, {"body": "Hello <b>World</b>", "subject": "S"})
    assert response.status_code == 200
    assert "Hello &lt;b&gt;World&lt;/b&gt;" in response.content.decode()
    assert response["Content-Security-Policy"] == "sandbox"
    with pytest.warns(RemovedInDjangoVox6Warning, match=PREVIEW_WARNING):
        response = admin_client.post(reverse("admin:django_vox_preview", args=["nope"]),
                                     {"body": "x"})
        assert response.content == b"Unable to make preview: 'nope'"
        response = admin_client.post(url, {"body": "{% if %}"})
    assert response.content.startswith(b"Unable to make preview:")


def test_backend_preview_needs_the_change_permission(client, django_user_model):
    user = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(user)
    with pytest.warns(RemovedInDjangoVox6Warning, match=PREVIEW_WARNING):
        response = client.post(reverse("admin:django_vox_preview", args=["locmem"]),
                               {"body": "x"})
    assert response.status_code == 403


def test_notify_raises_permission_denied_without_change_permission(django_user_model):
    request = RequestFactory().post("/")
    request.user = django_user_model.objects.create_user("nobody", is_staff=True)
    model_admin = django_vox.admin.NotificationAdmin(Subscriber, AdminSite())
    with pytest.raises(PermissionDenied):
        django_vox.admin.notify(model_admin, request, Subscriber.objects.all())


def test_notify_form_the_4x_way():
    form = django_vox.admin.NotifyForm(backends.by_protocol("email"))
    assert {key for key, _label in form.fields["backend"].choices} == {"locmem"}
    form = django_vox.admin.NotifyForm({"backend": "locmem-sms", "body": "Hi"})
    assert form.is_valid(), form.errors
