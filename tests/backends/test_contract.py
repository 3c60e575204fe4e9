"""What every backend promises, run against each built-in backend.

The lifecycle of Django's mail backends (idempotent ``open``/``close``, a
context manager that closes when ``open`` fails), building without
credentials, refusing an invalid address before any network I/O, and
telling failures worth retrying from the others.  Each backend talks to a
real local peer: SMTP (aiosmtpd), HTTP (pytest-httpserver) or Prosody.
"""

import re
import socket
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model

from django_vox import activities
from django_vox.backends import (
    activity,
    html_email,
    json_webhook,
    locmem,
    markdown_email,
    postmark_email,
    slack,
    template_email,
    twilio,
    twitter,
    xmpp,
)
from django_vox.exceptions import InvalidAddress, PermanentSendError, SendError, TransientSendError
from django_vox.messages import Message
from django_vox.models import Activity, InboxItem
from tests.fixtures.smtp import configure_mail
from tests.fixtures.xmpp import free_port

pytestmark = pytest.mark.django_db

SMTP = "django.core.mail.backends.smtp.EmailBackend"
ANY_PATH = re.compile(".*")
TWILIO_SID = "AC0123456789abcdef0123456789abcdef"
CREDENTIALS = {
    "DJANGO_VOX_POSTMARK_TOKEN": "pm-token",
    "DJANGO_VOX_TWILIO_ACCOUNT_SID": TWILIO_SID,
    "DJANGO_VOX_TWILIO_AUTH_TOKEN": "tw-token",
    "DJANGO_VOX_TWILIO_FROM_NUMBER": "+14155238886",
    "DJANGO_VOX_TWITTER_CONSUMER_KEY": "ckey",
    "DJANGO_VOX_TWITTER_CONSUMER_SECRET": "csecret",
    "DJANGO_VOX_TWITTER_TOKEN_KEY": "tkey",
    "DJANGO_VOX_TWITTER_TOKEN_SECRET": "tsecret",
    "DJANGO_VOX_XMPP_JID": "sender@vox.test",
    "DJANGO_VOX_XMPP_PASSWORD": "sender-secret",
}


# -- peers ----------------------------------------------------------------------
def smtp_peer(settings, server):
    configure_mail(settings, SMTP, host=server.host, port=server.port, use_tls=False,
                   use_ssl=False, timeout=10)


def smtp_failure(server, transient):
    server.data_response = "451 4.3.0 Try again later" if transient else "554 5.7.1 Refused"


def http_peer(settings, server):
    base = server.url_for("/")
    settings.DJANGO_VOX_POSTMARK_ENDPOINT = base
    settings.DJANGO_VOX_TWILIO_API_BASE = base
    settings.DJANGO_VOX_TWITTER_API_BASE = base


def http_failure(server, transient):
    answer = {"code": 21211, "message": "refused", "ErrorCode": 300, "Message": "refused",
              "errors": [{"code": 187, "message": "refused"}]}
    server.expect_request(ANY_PATH).respond_with_json(answer, status=503 if transient else 400)


def xmpp_peer(settings, server):
    settings.DJANGO_VOX_XMPP_JID = server.jid("sender")
    settings.DJANGO_VOX_XMPP_PASSWORD = server.accounts["sender"]
    settings.DJANGO_VOX_XMPP_SERVER = server.address
    settings.DJANGO_VOX_XMPP_VERIFY_TLS = False


def xmpp_failure(settings, transient):
    """Nobody listening (worth retrying) or a refused login (not)."""
    if transient:
        settings.DJANGO_VOX_XMPP_SERVER = f"127.0.0.1:{free_port()}"
    else:
        settings.DJANGO_VOX_XMPP_PASSWORD = "wrong-password"


@dataclass
class Case:
    cls: type
    #: A valid address, given the peer (or None).
    good: Callable
    #: An address the backend must refuse (None: the backend accepts any).
    bad: str | None
    #: The pytest fixture of the peer: "smtp_server", "httpserver", "prosody_server" or "".
    peer: str = ""
    body: str = "Hello {{ name }}"

    @property
    def id(self):
        return f"{self.cls.__module__.rsplit('.', 1)[-1]}.{self.cls.__name__}"


def _email(cls, body="Hello {{ name }}"):
    return Case(cls, lambda peer: "ann@example.org", "not an email", "smtp_server", body)


def _activity_address(peer):
    user, _created = get_user_model().objects.get_or_create(
        username="ann", defaults={"email": "ann@example.org"})
    return activities.reverse_iri(user)


CASES = [
    _email(html_email.Backend, "<p>Hello {{ name }}</p>"),
    _email(markdown_email.Backend, "Hello *{{ name }}*"),
    _email(template_email.Backend, "{% block text_body %}Hello {{ name }}{% endblock %}"),
    Case(postmark_email.Backend, lambda peer: "ann@example.org", "ann at example", "httpserver",
         "greeting: Hello {{ name }}"),
    Case(twilio.Backend, lambda peer: "+12025550123", "2025550123", "httpserver"),
    Case(twitter.Backend, lambda peer: "", "@jack", "httpserver"),
    Case(slack.Backend, lambda peer: peer.url_for("/hook"), "ftp://example.org/hook",
         "httpserver"),
    Case(json_webhook.Backend, lambda peer: peer.url_for("/hook"), "example.org/hook",
         "httpserver", "greeting: Hello {{ name }}"),
    Case(xmpp.Backend, lambda peer: peer.jid("alice"), "no-at-sign", "prosody_server"),
    Case(activity.Backend, _activity_address, "ann"),
    Case(locmem.Backend, lambda peer: "ann@example.org", None),
    Case(locmem.SmsBackend, lambda peer: "+12025550123", None),
]


@pytest.fixture(params=CASES, ids=lambda case: case.id)
def case(request, settings):
    """The case, with credentials set and the backend's peer running."""
    for name, value in CREDENTIALS.items():
        setattr(settings, name, value)
    settings.SITE_DOMAIN = "example.org"
    settings.DJANGO_VOX_HTTP_TIMEOUT = 10
    case = request.param
    case.server = request.getfixturevalue(case.peer) if case.peer else None
    {"smtp_server": smtp_peer, "httpserver": http_peer,
     "prosody_server": xmpp_peer}.get(case.peer, lambda *args: None)(settings, case.server)
    return case


@pytest.fixture
def no_network(monkeypatch):
    """Record (and refuse) every attempt to resolve a name or open a connection."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"network I/O attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def released(backend):
    """Whether ``backend`` holds no connection, session or thread any more."""
    http = getattr(backend, "http", None)
    return (not backend.is_open
            and getattr(backend, "connection", None) is None
            and getattr(backend, "client", None) is None
            and getattr(backend, "api", None) is None
            and getattr(backend, "_client", None) is None
            and getattr(backend, "_loop", None) is None
            and (http is None or http.session is None))


def build(case, backend):
    return backend.build_message("Hi {{ name }}", case.body, {"name": "Ann"})


# -- lifecycle ------------------------------------------------------------------
def test_open_and_close_are_idempotent(case):
    backend = case.cls()
    assert backend.open() is True
    assert backend.is_open
    assert backend.open() is False
    backend.close()
    assert released(backend)
    backend.close()
    assert released(backend)
    assert backend.open() is True  # and it opens again after closing
    backend.close()


def test_context_manager_opens_and_closes(case):
    with case.cls() as backend:
        assert backend.is_open
    assert released(backend)


def test_context_manager_closes_when_open_fails_half_way(case):
    closed = []

    class HalfOpen(case.cls):
        def open(self):
            super().open()
            raise RuntimeError("failed after connecting")

        def close(self):
            closed.append(True)
            super().close()

    backend = HalfOpen()
    with pytest.raises(RuntimeError, match="after connecting"), backend:
        pytest.fail("the body must not run when open() failed")
    assert closed
    assert released(backend)


def test_send_opens_and_closes_only_what_it_opened(case):
    if case.server is not None and case.peer == "httpserver":
        case.server.expect_request(ANY_PATH).respond_with_json(
            {"sid": "SM1", "status": "queued", "id": 1, "ErrorCode": 0, "MessageID": "m"},
            status=200)
    backend = case.cls()
    backend.send(case.good(case.server), build(case, backend))
    assert released(backend)
    backend.open()
    backend.send(case.good(case.server), build(case, backend))
    assert backend.is_open  # opened by the caller: still open
    backend.close()
    # The activity backend stores one activity per content and recipient.
    assert delivered(case) == (1 if case.cls is activity.Backend else 2)


def delivered(case):
    """How many messages the peer got (reading them, so none are left over)."""
    if case.peer == "smtp_server":
        return len(case.server.messages)
    if case.peer == "httpserver":
        return len(case.server.log)
    if case.peer == "prosody_server":
        sender = case.server.jid("sender")
        return sum(1 for frm, body in case.server.read_messages("alice", 2)
                   if frm == sender and "Hello Ann" in body)
    if case.cls is activity.Backend:
        return InboxItem.objects.filter(activity__in=Activity.objects.all()).count()
    return len(locmem.outbox)


def test_backend_takes_keyword_options(case):
    backend = case.cls(fail_silently=True, label="x")
    assert backend.options == {"fail_silently": True, "label": "x"}
    assert not backend.is_open


# -- building -------------------------------------------------------------------
def test_building_needs_no_credentials_nor_network(case, settings, no_network):
    for name in CREDENTIALS:
        setattr(settings, name, None)
    backend = case.cls()
    message = build(case, backend)
    assert isinstance(message, Message)
    assert "Ann" in (message.text or "") + str(message.data)
    preview = backend.preview_message("Hi {{ name }}", case.body, {"name": "<Ann>"})
    assert "Ann&" in preview and "<Ann>" not in preview  # escaped (once or twice)
    assert not backend.is_open
    assert no_network == []


# -- addresses ------------------------------------------------------------------
def test_invalid_address_raises_before_any_network_io(case, no_network):
    if case.bad is None:
        pytest.skip(f"{case.id} accepts any address (a test double)")
    backend = case.cls()
    message = build(case, backend)
    with pytest.raises(InvalidAddress) as info:
        backend.send(case.bad, message)
    assert repr(case.bad) in str(info.value)
    with pytest.raises(InvalidAddress):
        backend.send_message("", [case.bad], message)
    assert not backend.is_open
    assert no_network == []
    if case.peer == "httpserver":
        assert case.server.log == []


# -- failures -------------------------------------------------------------------
def arrange_failure(case, settings, monkeypatch, transient):
    """Make the peer fail the next send, temporarily or for good."""
    if case.peer == "smtp_server":
        smtp_failure(case.server, transient)
    elif case.peer == "httpserver":
        http_failure(case.server, transient)
    elif case.peer == "prosody_server":
        xmpp_failure(settings, transient)
    elif transient:  # no peer: the transport itself breaks
        target = "_store" if case.cls is activity.Backend else "_record"
        monkeypatch.setattr(case.cls, target, _broken_transport)
    else:
        return "https://example.org/nobody/" if case.cls is activity.Backend else None
    return case.good(case.server)


def _broken_transport(*args, **kwargs):
    raise ConnectionResetError("connection reset by peer")


@pytest.mark.parametrize("transient", [True, False], ids=["transient", "permanent"])
def test_failures_are_mapped_to_transient_or_permanent(case, settings, monkeypatch, transient):
    address = arrange_failure(case, settings, monkeypatch, transient)
    if address is None:
        pytest.skip(f"{case.id} has nothing that refuses a valid address")
    backend = case.cls()
    expected = TransientSendError if transient else PermanentSendError
    with pytest.raises(SendError) as info:
        backend.send(address, build(case, backend))
    assert type(info.value) is expected or isinstance(info.value, expected)
    assert info.value.transient is transient
    assert released(backend)


def test_transport_errors_become_transient_send_errors_naming_the_address(case, monkeypatch):
    """The base class maps what ``deliver`` lets through (here: a reset connection)."""
    monkeypatch.setattr(case.cls, "deliver", _broken_transport)
    backend = case.cls()
    message = build(case, backend)
    address = case.good(case.server)
    if case.peer == "prosody_server":
        backend.open()  # deliver alone is replaced; the session is real
    with pytest.raises(TransientSendError) as info:
        backend.send(address, message)
    assert isinstance(info.value.__cause__, ConnectionResetError)
    assert address in str(info.value)
    backend.close()
    assert released(backend)


def test_send_errors_from_deliver_pass_through_unchanged(case, monkeypatch):
    refused = PermanentSendError("the provider said no", status=400)

    def deliver(self, address, message):
        raise refused

    monkeypatch.setattr(case.cls, "deliver", deliver)
    backend = case.cls()
    with pytest.raises(PermanentSendError) as info:
        backend.send(case.good(case.server), build(case, backend))
    assert info.value is refused
    assert released(backend)
