"""Outbound HTTP is safe by default (issue 18), tried as an attacker would,
against real servers on this machine.

Names resolve through a stub at the socket layer (``socket.getaddrinfo``):
the test names below resolve to the addresses given, IP literals and
``localhost`` as usual, and nothing ever reaches a real DNS server.
"""

import ipaddress
import logging
import socket
import ssl
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from pytest_httpserver import HTTPServer

from django_vox.backends import json_webhook, postmark_email, slack, twilio, twitter
from django_vox.exceptions import InvalidAddress, PermanentSendError, TransientSendError
from django_vox.http import (
    MAX_ERROR_CHARS,
    MAX_RESPONSE_BYTES,
    HttpSession,
    clean_body,
    validate_url,
)
from django_vox.messages import Message
from django_vox.models import Delivery, SiteContact
from tests.backends.raw_http import RawHttpServer, drip_body, drip_headers, huge_body
from tests.fixtures.xmpp import make_certificate
from tests.testapp.models import Article
from tests.testapp.registrations import ArticleRegistration

WEBHOOKS = [json_webhook.Backend, slack.Backend]
PUBLIC = "93.184.215.14"  # a public address; connecting to it is refused below
NAMES = {
    "internal.test": "127.0.0.1",
    "private.test": "10.0.0.5",
    "metadata.google.internal": "169.254.169.254",
    "v6loop.test": "::1",
    "linklocal6.test": "fe80::1",
}


def is_literal(host):
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        try:
            socket.inet_aton(host)  # 0x7f000001, 2130706433, 127.1
            return True
        except OSError:
            return False


@pytest.fixture
def strict(settings):
    """The default policy: no allow-lists."""
    settings.DJANGO_VOX_HTTP_ALLOWED_NETWORKS = []
    settings.DJANGO_VOX_HTTP_ALLOWED_HOSTS = []
    settings.DJANGO_VOX_HTTP_TIMEOUT = 5
    return settings


@pytest.fixture
def resolver(monkeypatch):
    """Stub DNS: ``resolver.names`` maps a name to an address (or a list of
    answers, one per lookup); every lookup is recorded in ``resolver.lookups``."""
    real = socket.getaddrinfo

    class Resolver:
        names = dict(NAMES)
        lookups = []

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        Resolver.lookups.append(host)
        answer = Resolver.names.get(host)
        if isinstance(answer, list):
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        if answer is not None:
            if ":" in answer:
                return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (answer, port, 0, 0))]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer, port))]
        if host == "localhost" or is_literal(host):
            return real(host, port, family, type, proto, flags)
        raise socket.gaierror(socket.EAI_NONAME, f"{host} is not a test name")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return Resolver


@pytest.fixture
def connects(monkeypatch):
    """Every address a socket connects to; connecting to PUBLIC is refused
    (so nothing leaves this machine)."""
    seen = []
    real = socket.socket.connect

    def connect(self, address):
        seen.append(address[0])
        if address[0] == PUBLIC:
            raise ConnectionRefusedError("no connections leave the test machine")
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return seen


def send(backend_class, address, text="hi"):
    backend = backend_class()
    backend.send(address, backend.build_message("", "text: " + text, {}))


def requests_to(server, prefix):
    """The requests ``server`` got for paths under ``prefix`` (a late answer
    to an earlier test's slow request may sit in the log too)."""
    return [request for request, _response in server.log if request.path.startswith(prefix)]


# -- data-sourced addresses ------------------------------------------------------
LITERALS = ["http://127.0.0.1:{port}/refused", "http://[::1]:{port}/refused",
            "http://10.0.0.5/refused", "http://169.254.169.254/refused/meta-data/",
            "http://[fe80::1]/refused", "http://224.0.0.1/refused", "http://[ff02::1]/refused",
            "http://0.0.0.0:{port}/refused", "http://[::]:{port}/refused",
            "http://240.0.0.1/refused", "http://100.64.0.1/refused",
            "http://[::ffff:127.0.0.1]:{port}/refused", "http://[fc00::1]/refused",
            "https://192.168.1.1/refused", "http://172.16.0.1/refused"]


@pytest.mark.parametrize("backend_class", WEBHOOKS, ids=lambda cls: cls.ID)
@pytest.mark.parametrize("template", LITERALS)
def test_address_literals_that_are_not_public_are_refused_before_connecting(
        strict, httpserver, connects, backend_class, template):
    url = template.format(port=httpserver.port)
    with pytest.raises(InvalidAddress, match="not a public address") as info:
        send(backend_class, url)
    assert "DJANGO_VOX_HTTP_ALLOWED_NETWORKS" in str(info.value)
    assert connects == []
    assert requests_to(httpserver, "/refused") == []


NAMED = ["http://0x7f000001:{port}/refused", "http://2130706433:{port}/refused",
         "http://internal.test:{port}/refused", "http://private.test/refused",
         "http://metadata.google.internal/refused/v1/", "http://v6loop.test:{port}/refused",
         "http://linklocal6.test/refused", "http://localhost:{port}/refused"]


@pytest.mark.parametrize("backend_class", WEBHOOKS, ids=lambda cls: cls.ID)
@pytest.mark.parametrize("template", NAMED)
def test_names_resolving_to_private_addresses_are_refused_when_connecting(
        strict, httpserver, resolver, connects, backend_class, template):
    url = template.format(port=httpserver.port)
    validate_url(url)  # a name passes validation: it is checked once resolved
    with pytest.raises(InvalidAddress, match="not a public address"):
        send(backend_class, url)
    assert urlsplit(url).hostname in resolver.lookups
    assert connects == []
    assert requests_to(httpserver, "/refused") == []


def test_dns_rebinding_cannot_swap_the_checked_address(strict, httpserver, resolver, connects):
    """The name is resolved once, and the connection goes to that address."""
    resolver.names["rebind.test"] = [PUBLIC, "127.0.0.1"]
    with pytest.raises(TransientSendError, match="could not connect"):
        send(json_webhook.Backend, f"http://rebind.test:{httpserver.port}/refused")
    assert resolver.lookups.count("rebind.test") == 1
    assert connects == [PUBLIC]
    assert requests_to(httpserver, "/refused") == []


# -- the allow-lists -----------------------------------------------------------------
def test_allowed_networks_let_the_site_reach_its_own_receivers(strict, httpserver, resolver):
    strict.DJANGO_VOX_HTTP_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    httpserver.expect_request("/allowed").respond_with_json({"ok": True})
    send(json_webhook.Backend, f"http://127.0.0.1:{httpserver.port}/allowed")
    send(slack.Backend, f"http://internal.test:{httpserver.port}/allowed")
    received = requests_to(httpserver, "/allowed")
    assert len(received) == 2
    # The connection went to the checked address; the Host header kept the name.
    assert received[1].headers["Host"] == f"internal.test:{httpserver.port}"
    with pytest.raises(InvalidAddress):
        send(slack.Backend, "http://10.0.0.5/hook")  # other private networks stay closed


def test_allowed_hosts_let_a_name_through_but_not_its_address(strict, httpserver, resolver):
    strict.DJANGO_VOX_HTTP_ALLOWED_HOSTS = ["Internal.test"]
    httpserver.expect_request("/by-name").respond_with_json({"ok": True})
    send(json_webhook.Backend, f"http://internal.test:{httpserver.port}/by-name")
    assert len(requests_to(httpserver, "/by-name")) == 1
    with pytest.raises(InvalidAddress):
        send(json_webhook.Backend, f"http://127.0.0.1:{httpserver.port}/by-name")
    assert len(requests_to(httpserver, "/by-name")) == 1


@pytest.fixture
def ipv6_server():
    server = HTTPServer(host="::1")
    server.start()
    yield server
    server.clear()
    server.stop()


def test_ipv6_allow_list(strict, ipv6_server, resolver):
    ipv6_server.expect_request("/hook").respond_with_json({"ok": True})
    url = f"http://[::1]:{ipv6_server.port}/hook"
    strict.DJANGO_VOX_HTTP_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    with pytest.raises(InvalidAddress):
        send(json_webhook.Backend, url)
    strict.DJANGO_VOX_HTTP_ALLOWED_NETWORKS = ["::1/128"]
    send(json_webhook.Backend, url)
    send(json_webhook.Backend, f"http://v6loop.test:{ipv6_server.port}/hook")
    assert len(ipv6_server.log) == 2
    assert ipv6_server.log[1][0].headers["Host"] == f"v6loop.test:{ipv6_server.port}"


@pytest.mark.parametrize("setting, value", [
    ("DJANGO_VOX_HTTP_ALLOWED_NETWORKS", ["10.0.0.0/33"]),
    ("DJANGO_VOX_HTTP_ALLOWED_NETWORKS", ["intranet"]),
    ("DJANGO_VOX_HTTP_ALLOWED_HOSTS", "intranet.example"),
])
def test_a_bad_allow_list_is_a_configuration_error_naming_it(strict, setting, value):
    setattr(strict, setting, value)
    with pytest.raises(ImproperlyConfigured, match=setting):
        send(json_webhook.Backend, "http://10.0.0.5/hook")


def test_provider_endpoints_from_settings_are_trusted_as_configured(strict, httpserver):
    strict.DJANGO_VOX_POSTMARK_TOKEN = "pm-token"
    strict.DJANGO_VOX_POSTMARK_ENDPOINT = httpserver.url_for("/pm/")
    strict.DJANGO_VOX_TWILIO_ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
    strict.DJANGO_VOX_TWILIO_AUTH_TOKEN = "tw-token"
    strict.DJANGO_VOX_TWILIO_FROM_NUMBER = "+14155238886"
    strict.DJANGO_VOX_TWILIO_API_BASE = httpserver.url_for("/tw")
    for name in ("CONSUMER_KEY", "CONSUMER_SECRET", "TOKEN_KEY", "TOKEN_SECRET"):
        setattr(strict, f"DJANGO_VOX_TWITTER_{name}", "x-" + name.lower())
    strict.DJANGO_VOX_TWITTER_API_BASE = httpserver.url_for("/x")
    httpserver.expect_request("/x/2/tweets", method="POST").respond_with_json(
        {"data": {"id": "1", "text": "hi"}}, status=201)
    httpserver.expect_request("/pm/email/withTemplate").respond_with_json({"ErrorCode": 0})
    httpserver.expect_request(
        "/tw/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json"
    ).respond_with_json({"sid": "SM1", "status": "queued"}, status=201)
    postmark_email.Backend().send("ann@example.org", Message(subject="alias", data={}))
    twilio.Backend().send("+12025550123", Message(text="hi"))
    twitter.Backend().send("", Message(text="hi"))
    assert len(requests_to(httpserver, "/pm/")) == len(requests_to(httpserver, "/tw/")) == 1
    assert len(requests_to(httpserver, "/x/")) == 1
    with pytest.raises(InvalidAddress):  # the same server, as data: refused
        send(json_webhook.Backend, httpserver.url_for("/pm/email/withTemplate"))


# -- redirects, deadlines, size ----------------------------------------------------------
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_permanent_failures_naming_the_location(httpserver, status):
    httpserver.expect_request("/moved").respond_with_data(
        "", status=status, headers={"Location": httpserver.url_for("/elsewhere?token=abc")})
    with pytest.raises(PermanentSendError) as info:
        send(json_webhook.Backend, httpserver.url_for("/moved"))
    assert info.value.status == status
    assert f"redirected to http://localhost:{httpserver.port}/elsewhere" in str(info.value)
    assert "token=abc" not in str(info.value)
    assert len(requests_to(httpserver, "/")) == 1  # not followed


@pytest.mark.parametrize("respond", [drip_headers, drip_body], ids=["headers", "body"])
def test_the_timeout_is_a_deadline_for_the_whole_request(settings, respond):
    """A receiver sending one byte now and then is cut off when the
    deadline passes, though no single read waits as long as the timeout."""
    settings.DJANGO_VOX_HTTP_TIMEOUT = 1
    server = RawHttpServer(respond)
    try:
        with pytest.raises(TransientSendError, match=r"took longer than 1s"):
            send(json_webhook.Backend, server.url("/hook"))
        assert server.done.wait(10)  # the server noticed: the connection is gone
    finally:
        server.close()


def test_the_deadline_holds_for_provider_endpoints_too(settings):
    server = RawHttpServer(drip_body)
    settings.DJANGO_VOX_HTTP_TIMEOUT = 1
    settings.DJANGO_VOX_POSTMARK_TOKEN = "pm-token"
    settings.DJANGO_VOX_POSTMARK_ENDPOINT = server.url("/")
    try:
        with pytest.raises(TransientSendError, match="took longer than 1s"):
            postmark_email.Backend().send("ann@example.org", Message(subject="a", data={}))
    finally:
        server.close()


def test_at_most_64_kib_of_a_response_is_read():
    server = RawHttpServer(huge_body(200))
    try:
        response = HttpSession().request("GET", server.url("/big"))
        assert len(response.content) == MAX_RESPONSE_BYTES
        assert server.done.wait(30)  # the client hung up ...
        assert server.sent < 64 * 1024 * 1024  # ... long before 300 MiB
    finally:
        server.close()


def test_a_huge_error_body_is_cut_and_secrets_stripped(caplog):
    head = b"INTERNAL-ONLY-DATA: db_password=hunter2 api_key=k3y\n"
    server = RawHttpServer(huge_body(500, size=2 * 1024 * 1024, head=head))
    try:
        with caplog.at_level(logging.DEBUG), pytest.raises(TransientSendError) as info:
            send(json_webhook.Backend, server.url("/hook"))
    finally:
        server.close()
    error = info.value
    assert len(error.body) <= MAX_ERROR_CHARS
    assert "db_password=[redacted]" in error.body and "api_key=[redacted]" in error.body
    for leak in ("hunter2", "k3y", "TAIL-MARKER"):
        assert leak not in str(error) and leak not in caplog.text


@pytest.mark.django_db
def test_the_delivery_log_and_the_log_get_only_the_cleaned_start(
        httpserver, make_template, committed, caplog, settings):
    settings.DJANGO_VOX_BACKENDS = ["django_vox.backends.json_webhook"]
    body = "INTERNAL-ONLY-DATA: db_password=hunter2\n" + "x" * 3000 + "TAIL-MARKER"
    httpserver.expect_request("/hook").respond_with_data(body, status=500)
    SiteContact.objects.create(name="hook", protocol="json-webhook",
                               address=httpserver.url_for("/hook"))
    make_template(Article, "published", backend="json-webhook", recipients="si",
                  content="title: {{ object.title }}")
    with caplog.at_level(logging.DEBUG):
        with committed():
            ArticleRegistration.published.issue(Article.objects.create(
                author=get_user_model().objects.create(username="ann"), title="T"))
    delivery = Delivery.objects.get()
    assert "db_password=[redacted]" in delivery.error
    for leak in ("hunter2", "TAIL-MARKER"):
        assert leak not in delivery.error and leak not in caplog.text
    assert len(delivery.error) < MAX_ERROR_CHARS + 200


def test_credentials_sent_are_stripped_from_an_echoed_body(httpserver, settings):
    settings.DJANGO_VOX_POSTMARK_TOKEN = "pm-5ecret-token-value"
    settings.DJANGO_VOX_POSTMARK_ENDPOINT = httpserver.url_for("/")
    httpserver.expect_request("/email/withTemplate").respond_with_data(
        "you sent X-Postmark-Server-Token pm-5ecret-token-value", status=401)
    with pytest.raises(PermanentSendError) as info:
        postmark_email.Backend().send("ann@example.org", Message(subject="a", data={}))
    assert "pm-5ecret-token-value" not in str(info.value)
    assert "[redacted]" in str(info.value)


@pytest.fixture
def tls_server(tmp_path):
    """An HTTPS server on 127.0.0.1 with a certificate for internal.test only."""
    make_certificate(tmp_path, "internal.test")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "internal.test.crt", tmp_path / "internal.test.key")
    server = HTTPServer(host="127.0.0.1", ssl_context=context)
    server.start()
    server.ca_file = str(tmp_path / "internal.test.crt")
    yield server
    server.clear()
    server.stop()


def test_a_pinned_https_connection_still_verifies_the_name(strict, tls_server, resolver):
    """Connecting to the checked address keeps TLS about the name in the URL."""
    strict.DJANGO_VOX_HTTP_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    tls_server.expect_request("/tls").respond_with_json({"ok": True})
    session = HttpSession()
    session.request("POST", f"https://internal.test:{tls_server.port}/tls",
                    verify=tls_server.ca_file)
    assert len(tls_server.log) == 1
    assert tls_server.log[0][0].headers["Host"] == f"internal.test:{tls_server.port}"
    with pytest.raises(PermanentSendError, match="failed TLS verification: .*127.0.0.1"):
        session.request("POST", f"https://127.0.0.1:{tls_server.port}/tls",
                        verify=tls_server.ca_file)
    assert len(tls_server.log) == 1


def test_a_postmark_error_in_a_200_answer_is_cleaned_too(httpserver, settings):
    settings.DJANGO_VOX_POSTMARK_TOKEN = "pm-token"
    settings.DJANGO_VOX_POSTMARK_ENDPOINT = httpserver.url_for("/")
    httpserver.expect_request("/email/withTemplate").respond_with_json(
        {"ErrorCode": 300, "Message": "bad model: password=hunter2 " + "y" * 2000 + "TAIL-MARKER"})
    with pytest.raises(PermanentSendError) as info:
        postmark_email.Backend().send("ann@example.org", Message(subject="a", data={}))
    assert info.value.code == 300
    assert "password=[redacted]" in str(info.value)
    for leak in ("hunter2", "TAIL-MARKER"):
        assert leak not in str(info.value) and leak not in info.value.body


@pytest.mark.parametrize("text, leak", [
    ("Authorization: Bearer abc.def.ghi", "abc.def.ghi"),
    ('{"api_key": "k-123", "ok": false}', "k-123"),
    ("db_password=hunter2&user=x", "hunter2"),
    ("Set-Cookie: session=s-42; Path=/", "s-42"),
    ("token is tw-token-value, as configured", "tw-token-value"),
])
def test_clean_body_strips_credentials(settings, text, leak):
    settings.DJANGO_VOX_TWILIO_AUTH_TOKEN = "tw-token-value"
    cleaned = clean_body(text, ["unrelated-secret"])
    assert leak not in cleaned and "[redacted]" in cleaned
    assert clean_body("z" * 5000) == "z" * MAX_ERROR_CHARS
