"""Saving a notification's templates: what is checked, what is only warned
about, and the pages around it (add page, deleting, site contacts, the
one-time message's preview)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from django_vox.admin.checks import overlapping_templates, unclosed_tag
from django_vox.models import Notification, SiteContact, Template
from tests.test_admin_helpers import inline_post
from tests.testapp.models import Article, Subscriber

pytestmark = pytest.mark.django_db

BACKENDS = ["django_vox.backends.locmem.Backend", "django_vox.backends.locmem.SmsBackend",
            "django_vox.backends.json_webhook.Backend",
            "django_vox.backends.postmark_email.Backend"]


@pytest.fixture
def published(settings):
    settings.DJANGO_VOX_BACKENDS = BACKENDS
    settings.DJANGO_VOX_POSTMARK_TOKEN = "test-token"
    return Notification.objects.get_for_model(Article, "published")


def change_url(notification):
    return reverse("admin:django_vox_notification_change", args=[notification.pk])


def save(client, notification, **template):
    fields = {"backend": "locmem", "recipients": ["c:author"], "subject": "Hi",
              "content": "Hello", "enabled": True}
    fields.update(template)
    return client.post(change_url(notification), inline_post([fields]), follow=True)


def form_errors(response):
    if "inline_admin_formsets" not in response.context:
        return ""  # saved
    formset = response.context["inline_admin_formsets"][0].formset
    return " ".join(message for form in formset.forms for errors in form.errors.as_data().values()
                    for error in errors for message in error.messages)


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


@pytest.mark.parametrize("backend,content,expected", [
    ("json-webhook", "just a sentence", 'must read "key: value"'),
    ("postmark-template", "name {{ recipient.name }}", 'must read "key: value"'),
    ("locmem", "Hello {{ object.title }", "is not closed"),
    ("locmem", "Hello {% if object.title %}", "if"),
])
def test_save_builds_the_message_and_reports_what_the_backend_refuses(
        admin_client, published, backend, content, expected):
    response = save(admin_client, published, backend=backend, content=content)
    assert expected in form_errors(response)
    assert not Template.objects.exists()


def test_key_value_content_saves(admin_client, published):
    response = save(admin_client, published, backend="json-webhook",
                    content="event: posted\ntitle: {{ object.title }}")
    assert form_errors(response) == ""
    assert Template.objects.get().backend == "json-webhook"


def test_unknown_variables_are_warned_about_but_saved(admin_client, published):
    response = save(admin_client, published,
                    content="Hi {{ recipient.nmae }} {{ recipient.first_name }} "
                            "{{ object.title }}{% for e in object.editors.all %}{{ e }}{% endfor %}")
    assert Template.objects.exists()
    warnings = [m for m in messages_of(response) if "picker does not offer" in m]
    assert len(warnings) == 1 and "line 1: recipient.nmae" in warnings[0]
    assert "first_name" not in warnings[0] and "object.title" not in warnings[0]


def test_two_enabled_templates_to_the_same_people_are_warned_about(admin_client, published):
    Template.objects.create(notification=published, backend="locmem",
                            recipients="c:author,si", content="One")
    response = save(admin_client, published, recipients=["c:author"], content="Two")
    [warning] = [m for m in messages_of(response) if "Two enabled templates" in m]
    assert "Author of the article" in warning and "two messages" in warning
    templates = list(Template.objects.all())
    templates[0].enabled = False
    assert overlapping_templates(templates) == []


def test_per_backend_help_goes_to_the_editor(admin_client, published):
    data = admin_client.get(change_url(published)).context["vox_editor"]
    assert "key: value" in data["backends"]["json-webhook"]["help"]
    assert "Postmark template" in data["backends"]["postmark-template"]["help"]
    assert data["backends"]["locmem"]["help"] == ""


def test_unclosed_tags_name_their_line():
    assert unclosed_tag("Hi\n{{ object.title }") == (
        "Line 2: “{{ object.title }” is not closed with “}}”.")
    assert "{%" in unclosed_tag("{% if x }}{{ y }}")
    assert unclosed_tag("{# note #}{% if x %}{{ y }}{% endif %}") is None


def test_add_page_has_no_templates_until_saved(admin_client, published):
    html = admin_client.get(reverse("admin:django_vox_notification_add")).content.decode()
    assert "Save the notification first" in html
    assert "templates-TOTAL_FORMS" not in html


def test_notifications_declared_in_code_cannot_be_deleted(admin_client, published):
    assert published.from_code
    url = reverse("admin:django_vox_notification_delete", args=[published.pk])
    assert admin_client.get(url).status_code == 403
    assert "deletelink" not in admin_client.get(change_url(published)).content.decode()
    by_hand = Notification.objects.create(codename="manual", description="By hand",
                                          object_type=ContentType.objects.get_for_model(Article))
    assert admin_client.get(reverse("admin:django_vox_notification_delete",
                                    args=[by_hand.pk])).status_code == 200


def test_site_contacts_offer_protocols_by_name_and_check_addresses(admin_client, published):
    url = reverse("admin:django_vox_sitecontact_add")
    form = admin_client.get(url).context["adminform"].form
    assert ("email", "Email") in form.fields["protocol"].choices
    assert ("json-webhook", "JSON webhook") in form.fields["protocol"].choices
    inline = {"settings-TOTAL_FORMS": "0", "settings-INITIAL_FORMS": "0"}
    response = admin_client.post(url, {"name": "Team", "protocol": "email", **inline,
                                       "address": "not an email", "enable_filter": "blacklist"})
    errors = str(response.context["adminform"].form.errors["address"])
    assert "This is not an address for Email" in errors and "'email'" not in errors
    response = admin_client.post(url, {"name": "Team", "protocol": "email", **inline,
                                       "address": "team@example.org", "enable_filter": "blacklist"})
    assert response.status_code == 302
    listing = admin_client.get(reverse("admin:django_vox_sitecontact_changelist"))
    assert "<td class=\"field-protocol_name\">Email</td>" in listing.content.decode()
    assert SiteContact.objects.get().address == "team@example.org"


def test_one_time_preview_uses_the_selected_objects(admin_client, published):
    ada = Subscriber.objects.create(name="Ada", email="ada@example.org")
    bob = Subscriber.objects.create(name="Bob", email="bob@example.org")
    url = reverse("admin:django_vox_one_time_preview")
    ct = ContentType.objects.get_for_model(Subscriber)
    answer = admin_client.post(url, {"content_type": ct.pk, "ids": [ada.pk, bob.pk],
                                     "backend": "locmem", "subject": "Hi {{ object.name }}",
                                     "content": "Dear {{ recipient.name }}",
                                     "object": str(bob.pk)}).json()
    assert answer["header"]["subject"] == "Hi Bob"
    assert answer["header"]["to"] == "Bob <bob@example.org>"
    assert "Dear Bob" in answer["html"]
    assert {o["text"] for o in answer["sample"]["objects"]} == {"Ada", "Bob"}
    refused = admin_client.post(url, {"content_type": ct.pk, "ids": [ada.pk],
                                      "backend": "nope", "content": "x"})
    assert refused.status_code == 400 and "Choose an enabled backend" in refused.json()["error"]


def test_flags_of_code_notifications_read_in_words(admin_client, published):
    html = admin_client.get(change_url(published)).content.decode()
    assert "No: recipients may turn it off" in html
    assert "Yes: sent unless a recipient turns it off" in html
    assert "Yes: the developers keep it in step with the code" in html
    assert "icon-no.svg" not in html and "icon-yes.svg" not in html
    assert "<title>An article was published | Change notification" in html


def test_adding_a_notification_offers_registered_models_by_name(admin_client, published):
    form = admin_client.get(reverse("admin:django_vox_notification_add")).context[
        "adminform"].form
    labels = [label for _value, label in form.fields["object_type"].choices]
    assert "Article" in labels and "Subscriber" in labels
    assert not any("session" in label.lower() or "|" in label for label in labels)


def test_a_template_whose_backend_is_not_enabled_is_named_on_the_page(admin_client, published):
    Template.objects.create(notification=published, backend="gone-backend",
                            recipients="c:author", content="Nobody gets this")
    Template.objects.create(notification=published, backend="gone-too", enabled=False,
                            recipients="c:author", content="Switched off: no warning")
    response = admin_client.get(change_url(published))
    warnings = [m for m in messages_of(response) if "sends nothing" in m]
    assert warnings == ["gone-backend (not enabled) → Author of the article sends nothing: its "
                        "delivery method is not enabled on this site. Ask the developers to "
                        "enable it, or switch the template off."]
