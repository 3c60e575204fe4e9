"""Addresses are checked whole (no trailing newline slips through), and SMS
numbers as the provider checks them: E.164 and possible, not "allocated"."""

import pytest

from django_vox.backends import (
    activity,
    html_email,
    json_webhook,
    postmark_email,
    slack,
    twilio,
    twitter,
    xmpp,
)
from django_vox.exceptions import InvalidAddress
from django_vox.http import validate_url

VALID = {
    html_email.Backend: "ann@example.org",
    postmark_email.Backend: "ann@example.org",
    twilio.Backend: "+12025550123",
    twitter.Backend: "jack_1",
    slack.Backend: "https://hooks.example.com/services/T0/B0/x",
    json_webhook.Backend: "https://hooks.example.com/in",
    xmpp.Backend: "alice@vox.test",
    activity.Backend: "https://example.org/users/ann/",
}


@pytest.mark.parametrize("backend_class", list(VALID), ids=lambda cls: cls.ID)
@pytest.mark.parametrize("suffix", ["\n", "\r\n", "\x00", "\t"])
def test_a_trailing_newline_or_control_character_is_refused(backend_class, suffix):
    backend = backend_class()
    backend.validate_address(VALID[backend_class])  # the address itself is fine
    with pytest.raises(InvalidAddress):
        backend.validate_address(VALID[backend_class] + suffix)


@pytest.mark.parametrize("handle", ["evil\n", "a" * 16, "@jack", "ja ck", "jäck", ""])
def test_twitter_handles_match_whole(handle):
    if handle == "":  # empty: a status update on the configured account
        twitter.Backend().validate_address(handle)
        return
    with pytest.raises(InvalidAddress):
        twitter.Backend().validate_address(handle)


@pytest.mark.parametrize("address", ["http://[::1", "http://example.org:99999/", "https:///x",
                                     "javascript:alert(1)", "//example.org/x",
                                     "http://exa mple.org/", "\thttp://example.org/",
                                     "127.0.0.1:6379", "redis://127.0.0.1:6379/0"])
def test_malformed_urls_are_refused(address):
    with pytest.raises(InvalidAddress):
        validate_url(address)


# -- SMS ---------------------------------------------------------------------------
@pytest.mark.parametrize("number", [
    "+15551234567",    # the docs' example: a 555 number, never allocated
    "+12025550123",
    "+442079460018",
    "+4915901234567",
])
def test_possible_e164_numbers_are_accepted(number):
    twilio.Backend().validate_address(number)


@pytest.mark.parametrize("number, reason", [
    ("15551234567", 'starting with "\\+"'),
    ("+1 555 123 4567", "E.164 form"),
    ("+1-555-123-4567", "E.164 form"),
    ("+015551234567", "E.164 form"),
    ("+1555", "not a possible"),
    ("+1234567890123456", "E.164 form"),  # 16 digits
])
def test_impossible_or_badly_written_numbers_are_refused(number, reason):
    with pytest.raises(InvalidAddress, match=reason):
        twilio.Backend().validate_address(number)


def test_strict_validation_refuses_numbers_outside_known_ranges(settings):
    settings.DJANGO_VOX_SMS_STRICT_VALIDATION = True
    twilio.Backend().validate_address("+12025550123")
    with pytest.raises(InvalidAddress, match="DJANGO_VOX_SMS_STRICT_VALIDATION"):
        twilio.Backend().validate_address("+15551234567")
