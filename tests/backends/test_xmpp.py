"""The XMPP backend against a real Prosody (tests/fixtures/xmpp.py)."""


import pytest

from django_vox.backends.xmpp import Backend
from django_vox.exceptions import InvalidAddress, PermanentSendError, TransientSendError
from django_vox.messages import Message
from django_vox.models import Delivery, SiteContact
from tests.fixtures.xmpp import free_port
from tests.testapp.models import Article
from tests.testapp.registrations import ArticleRegistration

# Prosody keeps messages between tests: each article's title is the marker its test looks for.
pytestmark = [pytest.mark.django_db, pytest.mark.article(title="T", unique=True)]


@pytest.fixture
def xmpp(prosody_server, settings):
    settings.DJANGO_VOX_BACKENDS = ["django_vox.backends.xmpp.Backend"]
    settings.DJANGO_VOX_XMPP_JID = prosody_server.jid("sender")
    settings.DJANGO_VOX_XMPP_PASSWORD = prosody_server.accounts["sender"]
    settings.DJANGO_VOX_XMPP_SERVER = prosody_server.address
    settings.DJANGO_VOX_XMPP_VERIFY_TLS = False
    return prosody_server


def contacts(server, *users):
    for user in users:
        SiteContact.objects.create(name=user, protocol="xmpp", address=server.jid(user))


def received(server, user, expected, marker):
    """Bodies ``user`` got from the sender that contain ``marker``."""
    sender = server.jid("sender")
    return sorted(body for frm, body in server.read_messages(user, expected)
                  if frm == sender and marker in body)


def test_issue_sends_every_message_over_one_session(xmpp, article, make_template, committed):
    contacts(xmpp, "alice", "bob")
    make_template(Article, "published", backend="xmpp", recipients="si",
                  content="New: {{ object.title }}")
    make_template(Article, "published", backend="xmpp", recipients="si",
                  content="Also: {{ object.title }} & more")
    before = xmpp.session_count("sender")
    with committed():
        ArticleRegistration.published.issue(article)
    assert Delivery.objects.filter(status=Delivery.SENT).count() == 4
    assert xmpp.session_count("sender") - before == 1
    expected = sorted([f"New: {article.title}", f"Also: {article.title} & more"])
    assert received(xmpp, "alice", 2, article.title) == expected
    assert received(xmpp, "bob", 2, article.title) == expected


def test_bad_password_is_recorded_and_the_message_can_be_resent(
        xmpp, settings, article, make_template, committed):
    contacts(xmpp, "alice")
    make_template(Article, "published", backend="xmpp", recipients="si",
                  content="Retry {{ object.title }}")
    settings.DJANGO_VOX_XMPP_PASSWORD = "wrong-password"
    before = xmpp.session_count("sender")
    with committed():
        ArticleRegistration.published.issue(article)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.FAILED
    assert "XMPP login as sender@vox.test" in delivery.error
    assert "DJANGO_VOX_XMPP_PASSWORD" in delivery.error
    assert "wrong-password" not in delivery.error + str(delivery.message)
    assert xmpp.session_count("sender") == before

    settings.DJANGO_VOX_XMPP_PASSWORD = xmpp.accounts["sender"]
    assert delivery.resend() is True
    assert received(xmpp, "alice", 1, article.title) == [f"Retry {article.title}"]


def test_unreachable_server_is_a_transient_failure(xmpp, settings, article, make_template,
                                                  committed):
    contacts(xmpp, "alice", "bob")
    make_template(Article, "published", backend="xmpp", recipients="si", content="x")
    settings.DJANGO_VOX_XMPP_SERVER = f"127.0.0.1:{free_port()}"
    with committed():
        ArticleRegistration.published.issue(article)
    errors = list(Delivery.objects.values_list("status", "error"))
    assert len(errors) == 2
    for status, error in errors:
        assert status == Delivery.FAILED
        assert error.startswith("Could not reach the XMPP server 127.0.0.1:")


def test_unreachable_server_raises_transient(xmpp, settings):
    settings.DJANGO_VOX_XMPP_SERVER = f"127.0.0.1:{free_port()}"
    with pytest.raises(TransientSendError):
        Backend().open()


def test_self_signed_certificate_refused_when_verifying(xmpp, settings):
    settings.DJANGO_VOX_XMPP_VERIFY_TLS = True
    backend = Backend()
    with pytest.raises(PermanentSendError, match="TLS") as info:
        backend.open()
    assert not info.value.transient
    assert backend._loop is None  # the loop thread was stopped


def test_invalid_jid_fails_alone(xmpp, article, make_template, committed):
    SiteContact.objects.create(protocol="xmpp", address="not a jid@@")
    contacts(xmpp, "bob")
    make_template(Article, "published", backend="xmpp", recipients="si",
                  content="Only bob {{ object.title }}")
    with committed():
        ArticleRegistration.published.issue(article)
    failed = Delivery.objects.get(status=Delivery.FAILED)
    assert failed.to_addresses == ["not a jid@@"]
    assert "Invalid address" in failed.error
    assert received(xmpp, "bob", 1, article.title) == [f"Only bob {article.title}"]


def test_validate_address():
    backend = Backend()
    backend.validate_address("alice@vox.test/phone")
    for bad in ["", "vox.test", "a@b@c", "not a jid"]:
        with pytest.raises(InvalidAddress):
            backend.validate_address(bad)


def test_bad_server_setting_names_it(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.DJANGO_VOX_XMPP_JID = "sender@vox.test"
    settings.DJANGO_VOX_XMPP_PASSWORD = "x"
    settings.DJANGO_VOX_XMPP_SERVER = "localhost"
    with pytest.raises(ImproperlyConfigured, match="DJANGO_VOX_XMPP_SERVER"):
        Backend().open()


def test_send_outside_open_uses_its_own_session(xmpp):
    before = xmpp.session_count("sender")
    Backend().send(xmpp.jid("bob"), Message(text="standalone message"))
    assert xmpp.session_count("sender") - before == 1
    assert received(xmpp, "bob", 1, "standalone") == ["standalone message"]


def test_silent_server_times_out_as_transient(xmpp, settings):
    """A server that accepts the connection but never answers."""
    import socket

    class QuickBackend(Backend):
        TIMEOUT = 1

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        settings.DJANGO_VOX_XMPP_SERVER = f"127.0.0.1:{silent.getsockname()[1]}"
        backend = QuickBackend()
        with pytest.raises(TransientSendError, match="XMPP"):
            backend.open()
    assert backend._loop is None
