"""What every email backend promises, run against each of them."""

import warnings

import django
import pytest
from django.core import mail

from django_vox.backends import backends
from django_vox.backends._email import EmailBackend, get_mail_connection
from django_vox.backends.html_email import Backend as HtmlBackend
from django_vox.backends.markdown_email import Backend as MarkdownBackend
from django_vox.backends.postmark_email import Backend as PostmarkBackend
from django_vox.backends.template_email import Backend as TemplateBackend
from tests.backends.email_helpers import EMAIL_BACKENDS
from tests.fixtures.smtp import configure_mail

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"

BODIES = {
    HtmlBackend: "<p>Hello {{ name }}</p>",
    MarkdownBackend: "Hello *{{ name }}*",
    TemplateBackend: "{% block text_body %}Hello {{ name }}{% endblock %}"
                     "{% block html_body %}<p>Hello {{ name }}</p>{% endblock %}",
    PostmarkBackend: "greeting: Hello {{ name }}",
}
SMTP_SENT = [HtmlBackend, MarkdownBackend, TemplateBackend]


@pytest.fixture(params=list(BODIES), ids=lambda cls: cls.ID)
def backend_class(request, settings):
    settings.DJANGO_VOX_BACKENDS = EMAIL_BACKENDS
    settings.DJANGO_VOX_POSTMARK_TOKEN = None  # building needs no credentials
    configure_mail(settings, LOCMEM)
    return request.param


def test_declared_in_the_registry_with_the_spec_ids(backend_class):
    assert backends.by_id(backend_class.ID) is backend_class
    assert backend_class.PROTOCOL == "email"
    assert backend_class.USE_SUBJECT and backend_class.USE_FROM_ADDRESS
    assert {cls.ID for cls in backends.by_protocol("email")} == {
        "email-html", "email-md", "email", "postmark-template"}


def test_open_close_are_idempotent_and_context_manager_closes(backend_class):
    backend = backend_class()
    assert backend.open() is True
    assert backend.open() is False
    backend.close()
    backend.close()
    assert not backend.is_open
    with backend_class() as inside:
        assert inside.is_open
    assert not inside.is_open


def test_build_needs_no_credentials_and_preview_is_html(backend_class):
    backend = backend_class()
    message = backend.build_message("Hi {{ name }}", BODIES[backend_class], {"name": "<Ann>"})
    assert message.subject == "Hi <Ann>"
    assert "Hello" in (message.text or "")
    preview = backend.preview_message("Hi {{ name }}", BODIES[backend_class], {"name": "<Ann>"})
    assert "Hi &lt;Ann&gt;" in preview
    assert "<Ann>" not in preview


def test_default_from_address_is_django_s(backend_class, settings):
    settings.DEFAULT_FROM_EMAIL = "site@example.org"
    assert backend_class().get_from_address("", {}) == "site@example.org"
    assert backend_class().get_from_address("{{ who }}@example.org", {"who": "x"}) == "x@example.org"


@pytest.mark.parametrize("backend_class", SMTP_SENT, ids=lambda cls: cls.ID)
def test_html_preview_is_sandboxed(backend_class):
    body = BODIES[backend_class].replace("{{ name }}", "<script>x()</script>{{ name }}")
    preview = backend_class().preview_message("S", body, {"name": "Ann"})
    assert '<iframe class="vox-html" sandbox=""' in preview
    assert "<script>" not in preview  # only inside the escaped srcdoc
    assert '<pre class="vox-text">' in preview


@pytest.mark.parametrize("backend_class", SMTP_SENT, ids=lambda cls: cls.ID)
@pytest.mark.parametrize("email_backend", [
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.console.EmailBackend",
])
def test_any_django_email_backend_works(backend_class, email_backend, settings, capsys):
    configure_mail(settings, email_backend)
    message = backend_class().build_message("Hi", BODIES[backend_class], {"name": "Ann"})
    with backend_class() as backend:
        backend.send_message("from@example.org", ["a@example.org", "b@example.org"], message)
    if email_backend.endswith("locmem.EmailBackend"):
        [sent] = mail.outbox
        assert sent.to == ["a@example.org", "b@example.org"]
        assert sent.alternatives[0][1] == "text/html"
    else:
        assert "To: a@example.org, b@example.org" in capsys.readouterr().out


def test_mail_connection_without_deprecation_warnings(settings):
    configure_mail(settings, LOCMEM)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        connection = get_mail_connection()
        with EmailBackend() as backend:
            backend.send("a@example.org", HtmlBackend().build_message("S", "<p>b</p>", {}))
    assert type(connection).__module__ == "django.core.mail.backends.locmem"
    assert len(mail.outbox) == 1


@pytest.mark.skipif(django.VERSION < (6, 1), reason="MAILERS exists from Django 6.1 on")
def test_mailer_alias_setting_chooses_the_mailer(settings, smtp_server):
    settings.MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
        "notifications": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                          "OPTIONS": {"host": smtp_server.host, "port": smtp_server.port}},
    }
    settings.DJANGO_VOX_EMAIL_MAILER = "notifications"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with EmailBackend() as backend:
            backend.send("a@example.org", HtmlBackend().build_message("S", "<p>b</p>", {}))
    assert [m["Subject"] for m in smtp_server.messages] == ["S"]
    assert mail.outbox == []


def test_missing_postmark_token_is_a_check_warning_not_an_error(settings):
    from django_vox.checks import check_backends

    settings.DJANGO_VOX_BACKENDS = EMAIL_BACKENDS
    settings.DJANGO_VOX_POSTMARK_TOKEN = None
    found = check_backends()
    assert [(m.id, m.obj) for m in found] == [
        ("django_vox.W001", "django_vox.backends.postmark_email.Backend")]
    assert "DJANGO_VOX_POSTMARK_TOKEN" in found[0].msg
    settings.DJANGO_VOX_POSTMARK_TOKEN = "t"
    assert check_backends() == []


def test_markdown_backend_is_skipped_by_default_when_markdown_is_missing(settings, monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "markdown" else real_find_spec(name, *a))
    del settings.DJANGO_VOX_BACKENDS  # the default list: backends whose dependencies import
    backends.reset()
    ids = {cls.ID for cls in backends.by_protocol("email")}
    assert ids == {"email-html", "email", "postmark-template"}
    assert MarkdownBackend.DEPENDS == ("markdown",) and MarkdownBackend.EXTRA == "markdown"
