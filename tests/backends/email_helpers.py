"""Shared set-up for the email backend tests."""

import pytest
from django.contrib.auth import get_user_model

from tests.testapp.models import Article, Subscriber

EMAIL_BACKENDS = [
    "django_vox.backends.html_email.Backend",
    "django_vox.backends.markdown_email.Backend",
    "django_vox.backends.template_email.Backend",
    "django_vox.backends.postmark_email.Backend",
]


@pytest.fixture
def vox_email(settings, smtp_settings):
    """The four email backends enabled, Django mail going to the test SMTP server."""
    settings.DJANGO_VOX_BACKENDS = EMAIL_BACKENDS
    settings.DEFAULT_FROM_EMAIL = "News <news@example.org>"
    return settings


def make_article(title="Hello", subscribers=3, **subscriber_names):
    user = get_user_model().objects.create(username=f"author-{title[:20]}", email="author@example.org")
    for i in range(subscribers):
        Subscriber.objects.create(name=f"Subscriber {i}", email=f"s{i}@example.org")
    return Article.objects.create(author=user, title=title)


def parts(message):
    """{content type: decoded content (LF line ends, no trailing newline)} of the non-attachment parts."""
    return {part.get_content_type(): part.get_content().replace("\r\n", "\n").rstrip("\n")
            for part in message.walk()
            if not part.is_multipart() and part.get_content_disposition() != "attachment"}
