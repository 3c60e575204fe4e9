"""The tracking settings are checked like the others: each wrong value is an
error naming the setting (``manage.py check``: django_vox.E040 to E045)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from django_vox import checks, conf

WRONG = [
    ("DJANGO_VOX_WEBHOOK_BASE_URL", "example.org", "django_vox.E040"),
    ("DJANGO_VOX_WEBHOOK_BASE_URL", "https://example.org/vox/", "django_vox.E040"),
    ("DJANGO_VOX_WEBHOOK_BASE_URL", "ftp://example.org", "django_vox.E040"),
    ("DJANGO_VOX_POSTMARK_WEBHOOK_CREDENTIALS", "no-colon-here-long-enough", "django_vox.E041"),
    ("DJANGO_VOX_POSTMARK_WEBHOOK_CREDENTIALS", "user:short", "django_vox.E041"),
    ("DJANGO_VOX_POSTMARK_WEBHOOK_CREDENTIALS", ":password-long-enough", "django_vox.E041"),
    ("DJANGO_VOX_WEBHOOK_MAX_BODY", 0, "django_vox.E042"),
    ("DJANGO_VOX_TRACKING_PAYLOAD_LIMIT", "lots", "django_vox.E043"),
    ("DJANGO_VOX_SOFT_BOUNCE_LIMIT", 0, "django_vox.E044"),
    ("DJANGO_VOX_SOFT_BOUNCE_WINDOW", 2.5, "django_vox.E045"),
]


@pytest.mark.parametrize("name, value, check_id", WRONG)
def test_a_wrong_value_is_an_error_naming_the_setting(settings, name, value, check_id):
    setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        conf.validate(name)
    errors = [e for e in checks.check_settings() if e.obj == name]
    assert [e.id for e in errors] == [check_id]


@pytest.mark.parametrize("name, value", [
    ("DJANGO_VOX_WEBHOOK_BASE_URL", "https://example.org"),
    ("DJANGO_VOX_WEBHOOK_BASE_URL", "http://127.0.0.1:8000/"),
    ("DJANGO_VOX_POSTMARK_WEBHOOK_CREDENTIALS", "hooks:0123456789abcdef"),
    ("DJANGO_VOX_SOFT_BOUNCE_WINDOW", 86400),
])
def test_good_values_pass(settings, name, value):
    setattr(settings, name, value)
    conf.validate(name)


def test_the_twilio_callback_url_needs_the_urls(settings):
    settings.DJANGO_VOX_WEBHOOK_BASE_URL = "https://example.org/"
    assert conf.webhook_url("django_vox:twilio-status") == \
        "https://example.org/vox/tracking/twilio/"
    settings.ROOT_URLCONF = "tests.testapp.urls_without_vox"
    with pytest.raises(ImproperlyConfigured, match="include django_vox.urls"):
        conf.webhook_url("django_vox:twilio-status")
    settings.DJANGO_VOX_WEBHOOK_BASE_URL = None
    assert conf.webhook_url("django_vox:twilio-status") is None
