"""Activities and inbox items in the admin follow the delivery log's masking
rule: staff with the model's view permission but without
``django_vox.view_delivery_content`` see the secret values the activity's log
rows recorded and links carrying a token as ``[hidden]`` (list, page,
search, deletion pages), staff with it see the activity as stored, and the
recipient's inbox endpoint is unchanged.  The activity is delivered through
the real path (an issue, the activity backend)."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from django_vox.admin import masking
from django_vox.models import Activity, Delivery, InboxItem
from django_vox.registry import TemplateVariable, objects
from django_vox.templating import rules
from tests.test_admin_helpers import log_queries, signed_in
from tests.testapp.models import Article
from tests.testapp.registrations import ArticleRegistration

pytestmark = [pytest.mark.django_db, pytest.mark.article(title="Spring news", editors=["bob"])]

CODE = "739215"
TOKEN = "c2x9ab-3f5e9b8c0d1e2f3a4b5c"
RESET = f"https://example.org/reset/MQ/{TOKEN}/"
PLAIN = "https://example.org/articles/spring-news-2024/"
CONTENT = (f"Your code is {{{{ recipient.code }}}}. Reset: {RESET} Read: {PLAIN} "
           "Unsubscribe: {{ unsubscribe_url }}")
ACTIVITY, ITEM = "django_vox.view_activity", "django_vox.view_inboxitem"


@pytest.fixture(autouse=True)
def _secret_variable(activity_settings, user_inboxes, monkeypatch):
    registration = type(objects[get_user_model()].registration)
    monkeypatch.setattr(registration, "template_variables", dict(
        getattr(registration, "template_variables", None) or {},
        code=TemplateVariable(_("login code"), lambda user: CODE, secret=True)),
        raising=False)
    rules._rules.cache_clear()
    yield
    rules._rules.cache_clear()


@pytest.fixture
def sent(article, make_template, committed):
    make_template(Article, "published", backend="activity", recipients="c:author",
                  content=CONTENT)
    with committed():
        ArticleRegistration.published.issue(article)
    activity = Activity.objects.get()
    # What the test is about: the stored activity carries the secret and the tokens.
    assert f"Your code is {CODE}." in activity.summary and RESET in activity.summary
    assert "/vox/unsubscribe/" in activity.summary
    assert CODE in json.dumps(activity.document)
    delivery = Delivery.objects.get(backend="activity")
    assert delivery.status == Delivery.SENT and delivery.message[masking.SECRET_VALUES] == [CODE]
    return activity


def _unsubscribe(activity):
    return activity.summary.split("Unsubscribe: ")[1].split()[0]


def _pages(client, activity):
    item = activity.inbox_items.get()
    urls = [reverse("admin:django_vox_activity_changelist"),
            reverse("admin:django_vox_activity_change", args=[activity.pk]),
            reverse("admin:django_vox_inboxitem_changelist"),
            reverse("admin:django_vox_inboxitem_change", args=[item.pk])]
    responses = [client.get(url) for url in urls]
    assert [response.status_code for response in responses] == [200] * 4
    return [response.content.decode() for response in responses]


def _found(client, model, term):
    response = client.get(reverse(f"admin:django_vox_{model}_changelist"), {"q": term})
    return list(response.context["cl"].result_list)


def test_without_the_content_permission_the_admin_masks_it(django_user_model, sent):
    clerk = signed_in(django_user_model, "clerk", ACTIVITY, ITEM)
    pages = _pages(clerk, sent)
    for html in pages:
        assert CODE not in html and TOKEN not in html and _unsubscribe(sent) not in html
        assert "Your code is [hidden]. Reset: https://example.org/… [hidden]" in html
        assert PLAIN in html  # a link without a token stays
    listing, page, items, item_page = pages
    assert "Unsubscribe: https://example.org/… [hidden]" in page
    assert "&quot;summary&quot;: &quot;Your code is [hidden]." in page  # the document
    assert "vox-masked-note" in page and "vox-masked-note" in item_page
    assert sent.object_iri in listing and sent.inbox_items.get().owner_iri in items
    # Searching by what the activity says finds nothing; by its IRIs, it.
    assert _found(clerk, "activity", CODE) == [] and _found(clerk, "activity", "Your code") == []
    assert _found(clerk, "activity", sent.object_iri) == [sent]
    assert _found(clerk, "inboxitem", "/users/ann/") == [sent.inbox_items.get()]
    # The stored activity is intact.
    sent.refresh_from_db()
    assert CODE in sent.summary and RESET in sent.summary


def test_the_content_permission_shows_the_activity(django_user_model, sent):
    reader = signed_in(django_user_model, "reader", ACTIVITY, ITEM, masking.CONTENT_PERMISSION)
    pages = _pages(reader, sent)
    for html in pages:
        assert f"Your code is {CODE}." in html and RESET in html
    assert _unsubscribe(sent) in pages[1] and "vox-masked-note" not in pages[1]
    assert f"&quot;summary&quot;: &quot;Your code is {CODE}." in pages[1]
    assert _found(reader, "activity", CODE) == [sent]


def test_str_and_the_deletion_pages_name_no_content(django_user_model, sent):
    """The breadcrumbs, deletion pages, their message and the admin's history
    name an activity by its type and number: its str() holds none of it."""
    item = sent.inbox_items.get()
    assert str(sent) == f"Create activity {sent.pk}"
    assert str(item) == f"Create activity {sent.pk} → {item.owner_iri}"
    clerk = signed_in(django_user_model, "clerk", ACTIVITY, ITEM, "django_vox.delete_activity",
                    "django_vox.delete_inboxitem")
    changelist = reverse("admin:django_vox_activity_changelist")
    responses = [clerk.post(changelist, {"action": "delete_selected",
                                         "_selected_action": [sent.pk]}),
                 clerk.get(reverse("admin:django_vox_activity_delete", args=[sent.pk])),
                 clerk.get(reverse("admin:django_vox_activity_history", args=[sent.pk])),
                 clerk.get(reverse("admin:django_vox_inboxitem_delete", args=[item.pk]))]
    for response in responses:
        assert response.status_code == 200
        assert CODE not in response.content.decode() and "Your code" not in response.content.decode()
    done = clerk.post(reverse("admin:django_vox_activity_delete", args=[sent.pk]),
                      {"post": "yes"}, follow=True)
    assert f"Create activity {sent.pk}" in done.content.decode()
    assert CODE not in done.content.decode()
    assert not Activity.objects.exists() and not InboxItem.objects.exists()


def test_an_activity_no_log_row_names_is_hidden_whole(django_user_model, sent):
    Delivery.objects.all().delete()  # purged from the log: its secrets are not known any more
    clerk = signed_in(django_user_model, "clerk", ACTIVITY, ITEM)
    for html in _pages(clerk, sent):
        assert CODE not in html and "Your code" not in html and PLAIN not in html
        assert "[hidden]" in html
    reader = signed_in(django_user_model, "reader", ACTIVITY, ITEM, masking.CONTENT_PERMISSION)
    assert f"Your code is {CODE}." in _pages(reader, sent)[0]


def test_the_recipient_still_reads_the_activity_in_their_inbox(ann, sent):
    client = Client()
    client.force_login(ann)
    response = client.get("/vox/users/ann/inbox", HTTP_ACCEPT="application/activity+json")
    assert response.status_code == 200
    [document] = json.loads(response.content)["orderedItems"]
    assert document["id"] == sent.get_iri()
    assert document["summary"] == sent.summary  # the secret and the token links included
    assert CODE in document["summary"] and RESET in document["summary"]


def test_the_log_rows_name_the_activity_by_its_key(sent, make_template, committed, article,
                                                   django_assert_num_queries):
    """Each delivery of an activity records its key as the provider message
    id (an indexed column); one query finds the secrets of several."""
    first = Delivery.objects.get(backend="activity")  # the delivery of ``sent``
    assert first.provider_message_id == str(sent.key)
    make_template(Article, "published", backend="activity", recipients="c:author,c:editors",
                  content="Hello {{ object.title }}")
    with committed():
        ArticleRegistration.published.issue(article)
    shared = Activity.objects.get(summary="Hello Spring news")  # one for both recipients
    rows = Delivery.objects.filter(backend="activity", message__text="Hello Spring news")
    assert [row.provider_message_id for row in rows] == [str(shared.key)] * 2
    with django_assert_num_queries(1):
        found = masking.logged_secrets([sent.key, shared.key, "no-such-id"])
    assert found == {str(sent.key): {CODE}, str(shared.key): set()}


def test_a_page_asks_the_log_once(django_user_model, sent):
    for number in range(3):
        Activity.objects.create(summary=f"Other {number}")
    clerk = signed_in(django_user_model, "clerk", ACTIVITY, ITEM)
    for name in ("activity", "inboxitem"):
        assert len(log_queries(clerk, reverse(f"admin:django_vox_{name}_changelist"))) == 1
    assert len(log_queries(clerk, reverse("admin:django_vox_activity_change",
                                           args=[sent.pk]))) == 1
    reader = signed_in(django_user_model, "reader", ACTIVITY, ITEM, masking.CONTENT_PERMISSION)
    assert log_queries(reader, reverse("admin:django_vox_activity_changelist")) == []
