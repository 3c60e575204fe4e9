import json
import time
from email.utils import formatdate

import pytest
from django.test import override_settings

from django_vox.backends.slack import Backend
from django_vox.exceptions import (
    InvalidAddress,
    PermanentSendError,
    SendError,
    TransientSendError,
)
from django_vox.messages import Message
from tests.backends.helpers import settle, slow_handler


def test_posts_text_as_json(httpserver):
    httpserver.expect_ordered_request(
        "/services/T0/B0/x", method="POST", json={"text": "Build *passed*"},
        headers={"Content-Type": "application/json"},
    ).respond_with_data("ok")
    with Backend() as backend:
        backend.send(httpserver.url_for("/services/T0/B0/x"), Message(text="Build *passed*"))
    httpserver.check_assertions()
    assert len(httpserver.log) == 1


def test_one_http_session_for_all_messages(httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    with Backend() as backend:
        session = backend.http.session
        for n in range(3):
            backend.send(httpserver.url_for("/hook"), Message(text=f"m{n}"))
            assert backend.http.session is session
    assert [json.loads(req.data) for req, _resp in httpserver.log] == [
        {"text": "m0"}, {"text": "m1"}, {"text": "m2"}]
    assert backend.http.session is None


@pytest.mark.parametrize("status, error", [(400, PermanentSendError), (404, PermanentSendError),
                                           (429, TransientSendError), (500, TransientSendError),
                                           (503, TransientSendError)])
def test_error_answers_carry_the_body(httpserver, status, error):
    httpserver.expect_request("/hook").respond_with_data("invalid_token", status=status)
    with pytest.raises(error) as info:
        Backend().send(httpserver.url_for("/hook"), Message(text="x"))
    assert info.value.status == status
    assert "invalid_token" in str(info.value)


@pytest.mark.parametrize("status, retry_after, seconds", [
    (429, "7", 7.0), (503, "7", 7.0), (429, None, None), (429, "soon", None),
    (500, "7", None), (400, "7", None),  # only 429 and 503 say when to come back
])
def test_retry_after_of_429_and_503_is_on_the_error(httpserver, status, retry_after, seconds):
    headers = {"Retry-After": retry_after} if retry_after else {}
    httpserver.expect_request("/hook").respond_with_data("slow down", status=status,
                                                         headers=headers)
    with pytest.raises(SendError) as info:
        Backend().send(httpserver.url_for("/hook"), Message(text="x"))
    assert info.value.retry_after == seconds


def test_retry_after_as_an_http_date(httpserver):
    when = time.time() + 90
    httpserver.expect_request("/hook").respond_with_data(
        "slow down", status=429, headers={"Retry-After": formatdate(when, usegmt=True)})
    with pytest.raises(TransientSendError) as info:
        Backend().send(httpserver.url_for("/hook"), Message(text="x"))
    assert 85 <= info.value.retry_after <= 90


@override_settings(DJANGO_VOX_HTTP_TIMEOUT=0.3)
def test_timeout_is_transient(httpserver):
    httpserver.expect_request("/hook").respond_with_handler(slow_handler(1))
    with pytest.raises(TransientSendError, match="timed out"):
        Backend().send(httpserver.url_for("/hook"), Message(text="x"))
    settle(httpserver)


@pytest.mark.parametrize("address", ["ftp://example.org/hook", "file:///etc/passwd",
                                     "javascript:alert(1)", "", "hooks.slack.com/x"])
def test_non_http_addresses_are_refused_before_any_request(httpserver, address):
    with pytest.raises(InvalidAddress):
        Backend().send(address, Message(text="x"))
    assert httpserver.log == []
