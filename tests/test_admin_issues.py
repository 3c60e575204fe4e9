"""The background-issue admin: read-only, progress without a query per row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from django_vox.models import BackgroundIssue, Delivery, IssueChunk
from tests.test_tasks import IMMEDIATE
from tests.testapp.models import Article, Subscriber
from tests.testapp.registrations import ArticleRegistration

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(settings, django_user_model, make_template, committed):
    settings.DJANGO_VOX_ISSUE_METHOD = "django_vox.tasks.issue"
    settings.TASKS = IMMEDIATE
    settings.DJANGO_VOX_CHUNK_SIZE = 2
    for i in range(3):
        Subscriber.objects.create(name=f"S {i}", email=f"s{i}@example.org")
    author = django_user_model.objects.create(username="ann", email="ann@example.org")
    make_template(Article, "published", recipients="c:subs")
    articles = [Article.objects.create(author=author, title=f"A{i}") for i in range(3)]
    with committed():
        for article in articles:
            ArticleRegistration.published.issue(article)
    Delivery.objects.filter(to_addresses=["s0@example.org"]).update(status=Delivery.FAILED)
    return BackgroundIssue.objects.all()


def test_list_shows_state_chunks_and_counts_in_one_query(admin_client, issued):
    url = reverse("admin:django_vox_backgroundissue_changelist")
    with CaptureQueriesContext(connection) as queries:
        html = admin_client.get(url).content.decode()
    assert html.count("2 / 2") == 3
    assert '<td class="field-sent">2</td>' in html
    assert '<td class="field-failed">1</td>' in html
    # The counts are subqueries of the page's query: no query of the log per issue.
    assert [q["sql"] for q in queries.captured_queries if "django_vox_delivery" in q["sql"]
            and "django_vox_backgroundissue" not in q["sql"]] == []


def test_change_page_is_read_only_with_chunks_and_a_link_to_the_deliveries(admin_client,
                                                                          issued):
    issue = issued.first()
    url = reverse("admin:django_vox_backgroundissue_change", args=[issue.pk])
    html = admin_client.get(url).content.decode()
    assert "This issue&#x27;s deliveries" in html or "This issue's deliveries" in html
    assert html.count('<td class="field-number">') == 2
    assert IssueChunk.objects.filter(issue=issue).count() == 2
    assert admin_client.post(url, {"state": "planning"}).status_code == 403
    deliveries = admin_client.get(reverse("admin:django_vox_delivery_changelist"),
                                  {"issue_id": str(issue.pk)})
    assert deliveries.status_code == 200
    assert deliveries.context["cl"].result_count == 3
