"""Backends for the background-delivery tests: small HTTP ones, and backends
that pause mid-issue so a test can kill a worker or stop a server there.

They send through :class:`django_vox.http.HttpSession`, so HTTP 429/5xx and
connection failures become transient errors exactly as in the shipped HTTP
backends.  ``TEST_WEBHOOK_PREFIX`` is prepended to webhook addresses; the
SMS stand-in posts form data Twilio's way to ``DJANGO_VOX_TWILIO_API_BASE``.
"""

from django_vox import conf
from django_vox.backends.base import Backend
from django_vox.http import HttpSession, validate_url


class _HttpBackend(Backend):
    def __init__(self):
        super().__init__()
        self.http = HttpSession()

    def open(self):
        return self.http.open()

    def close(self):
        self.http.close()


class WebhookBackend(_HttpBackend):
    """POSTs ``{"subject", "text"}`` as JSON to the address (a URL)."""

    ID = "test-webhook"
    PROTOCOL = "json-webhook"
    VERBOSE_NAME = "Test webhook"
    USE_SUBJECT = True

    def send(self, address, message):
        validate_url(address, self.PROTOCOL)
        self.http.post_json(address, {"subject": message.subject, "text": message.text},
                            what="Webhook")


class SmsBackend(_HttpBackend):
    """A stand-in for Twilio's Messages API (form POST, basic auth)."""

    ID = "test-sms"
    PROTOCOL = "sms"
    VERBOSE_NAME = "Test SMS over HTTP"

    def send(self, address, message):
        base = conf.get("DJANGO_VOX_TWILIO_API_BASE").rstrip("/")
        sid = conf.get("DJANGO_VOX_TWILIO_ACCOUNT_SID") or "ACtest"
        self.http.request("POST", f"{base}/2010-04-01/Accounts/{sid}/Messages.json",
                          data={"To": address, "From": "+15550000000", "Body": message.text},
                          auth=(sid, conf.get("DJANGO_VOX_TWILIO_AUTH_TOKEN") or "token"),
                          what="Twilio")


def _pause_point(backend_class):
    """Before the ``VOX_PAUSE_AFTER``+1-th message of this process, write
    ``VOX_PAUSE_FILE`` and wait: forever, or until ``VOX_RESUME_FILE`` exists."""
    import os
    import time

    pause_after = os.environ.get("VOX_PAUSE_AFTER")
    if not pause_after or backend_class.sent_here != int(pause_after):
        return
    with open(os.environ["VOX_PAUSE_FILE"], "w") as marker:
        marker.write(str(os.getpid()))
    resume = os.environ.get("VOX_RESUME_FILE")
    while not (resume and os.path.exists(resume)):
        time.sleep(0.1)


class PausingWebhookBackend(WebhookBackend):
    """A webhook backend that stops before its N+1-th message (see _pause_point).

    Each message before is sent and marked sent: the moment a test kills the
    worker with SIGKILL.
    """

    ID = "pausing-webhook"
    sent_here = 0

    def send(self, address, message):
        _pause_point(type(self))
        super().send(address, message)
        type(self).sent_here += 1


class PausingSmsBackend(SmsBackend):
    """The SMS stand-in, stopping before its N+1-th message (see _pause_point)."""

    ID = "pausing-sms"
    sent_here = 0

    def send(self, address, message):
        _pause_point(type(self))
        super().send(address, message)
        type(self).sent_here += 1


try:
    from django_vox.backends.xmpp import Backend as XmppBackend
except ImportError:  # pragma: no cover - the xmpp backend ships with the backends branch
    XmppBackend = None

if XmppBackend is not None:
    class PausingXmppBackend(XmppBackend):
        """The XMPP backend, pausing before its N+1-th message so a test can
        stop the server mid-issue (and resume it with VOX_RESUME_FILE)."""

        ID = "pausing-xmpp"
        sent_here = 0

        def send(self, address, message):
            _pause_point(type(self))
            type(self).sent_here += 1
            super().send(address, message)
