import pytest
from django.contrib.auth import get_user_model

from django_vox.backends import locmem
from tests.testapp.models import Article, Subscriber
from tests.testapp.registrations import ArticleRegistration

pytestmark = pytest.mark.django_db


def test_issue_sends_to_subscribers(make_template, committed):
    user = get_user_model().objects.create(username="ann", email="ann@example.org")
    for i in range(3):
        Subscriber.objects.create(name=f"S{i}", email=f"s{i}@example.org")
    article = Article.objects.create(author=user, title="Hello")
    make_template(Article, "published", recipients="c:subs,c:author",
                  subject="New: {{ object.title }}", content="Hi {{ recipient.name }}")
    with committed():
        ArticleRegistration.published.issue(article)
    assert sorted(m.to[0] for m in locmem.outbox) == [
        "ann@example.org", "s0@example.org", "s1@example.org", "s2@example.org"]
    assert {m.subject for m in locmem.outbox} == {"New: Hello"}
