"""Objects of the test app, made the same way in every test module.

Plain functions, so a test, a fixture or a helper can call them; the
``ann``, ``bob``, ``subscribers`` and ``article`` fixtures in
``tests/conftest.py`` are built from them.
"""

import uuid

from django.contrib.auth import get_user_model

from tests.testapp.models import Article, Comment, Subscriber


def unique(prefix: str) -> str:
    """``prefix`` and eight random hex digits, for names a shared server keeps."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_user(username: str = "ann", **fields):
    """A user whose email is ``<username>@example.org`` unless given."""
    fields.setdefault("email", f"{username}@example.org")
    return get_user_model().objects.create(username=username, **fields)


def make_subscriber(name: str, **fields) -> Subscriber:
    fields.setdefault("email", f"{name.lower()}@example.org")
    return Subscriber.objects.create(name=name, **fields)


def make_subscribers(count: int = 3) -> list:
    """Subscribers S0, S1... with an email address and a phone number each."""
    return [make_subscriber(f"S{i}", email=f"s{i}@example.org", phone=f"+1555000000{i}")
            for i in range(count)]


def make_article(author, title: str = "Hello", *, editors=(), readers=(),
                 comments=()) -> Article:
    """An article with its editors (users), readers (subscribers) and comments
    (texts, each by a commenter named "C")."""
    article = Article.objects.create(author=author, title=title)
    if editors:
        article.editors.add(*editors)
    if readers:
        article.readers.add(*readers)
    for text in comments:
        Comment.objects.create(article=article, name="C", text=text)
    return article
