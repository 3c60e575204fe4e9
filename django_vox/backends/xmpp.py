"""XMPP chat messages through aioxmpp, one session per issue.

aioxmpp is asynchronous and Django code that issues notifications is not, so
the backend runs an asyncio event loop in a thread of its own between
``open()`` (which connects and logs in once) and ``close()`` (which logs out
and stops the thread); ``send()`` hands each message to that loop and waits.
"""

import asyncio
import concurrent.futures
import datetime
import logging
import re
import sys
import threading
from collections.abc import Coroutine
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from django_vox import conf
from django_vox.backends.base import Backend as BaseBackend
from django_vox.exceptions import (
    InvalidAddress,
    PermanentSendError,
    SendError,
    TransientSendError,
)
from django_vox.messages import Message

__all__ = ["Backend"]

logger = logging.getLogger("django_vox")

#: Before Python 3.11 the asyncio and concurrent.futures timeouts were not TimeoutError.
TIMEOUTS = (TimeoutError, asyncio.TimeoutError, concurrent.futures.TimeoutError)
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


class Backend(BaseBackend):
    ID = "xmpp"
    PROTOCOL = "xmpp"
    VERBOSE_NAME = _("XMPP")
    EDITOR_TYPE = "basic"
    DEPENDS = ("aioxmpp", "pytz")
    EXTRA = "xmpp"
    #: aioxmpp's own libraries, which the extra installs without aioxmpp on Python 3.13.
    EXTRA_ONLY = ("aiosasl", "aioopenssl")
    REQUIRED_SETTINGS = ("DJANGO_VOX_XMPP_JID", "DJANGO_VOX_XMPP_PASSWORD")
    #: One session per JID: several would log in as the same resource.
    CONCURRENT_SESSIONS = False
    #: Seconds allowed for connecting and logging in, and for sending one message.
    TIMEOUT = 30
    TRANSPORT_ERRORS = (OSError, *TIMEOUTS)

    @classmethod
    def install_command(cls, module: str) -> str:
        # aioxmpp 0.13 pins lxml 4, which does not build on Python 3.13: there the
        # extra installs aioxmpp's run-time needs and aioxmpp comes without its pins.
        if module == "aioxmpp" and sys.version_info >= (3, 13):
            return ('pip install "django-vox[xmpp]" && pip install --no-deps "aioxmpp>=0.13"; '
                    "the xmpp extra cannot install aioxmpp itself on Python 3.13")
        return super().install_command(module)

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client: Any = None  # aioxmpp.Client while open
        self._session: Any = None  # its connected() context

    # -- lifecycle ------------------------------------------------------------
    def open(self) -> bool:
        """Connect and log in; raise a SendError saying why when that fails."""
        if self._client is not None:
            return False
        self.check_dependencies()
        jid = conf.require("DJANGO_VOX_XMPP_JID")
        password = conf.require("DJANGO_VOX_XMPP_PASSWORD")
        peer = _server_setting()
        self._start_loop()
        try:
            self._client = self._run(self._connect(jid, password, peer), self.TIMEOUT + 5)
        except TIMEOUTS as err:
            self._stop_loop()
            raise TransientSendError(f"Connecting to XMPP as {jid} timed out") from err
        except BaseException:
            self._stop_loop()
            raise
        self.is_open = True
        return True

    def close(self) -> None:
        if self._client is not None:
            try:
                self._run(self._session.__aexit__(None, None, None), self.TIMEOUT)
            except (OSError, *TIMEOUTS) as err:
                logger.warning("Disconnecting from XMPP failed: %s", err)
            finally:
                self._client = self._session = None
        self._stop_loop()
        self.is_open = False

    def _start_loop(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        loop.set_exception_handler(_quiet_loop_errors)
        self._thread = threading.Thread(target=loop.run_forever,
                                        name="django-vox-xmpp", daemon=True)
        self._thread.start()

    def _stop_loop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(self.TIMEOUT)
        if not loop.is_running():
            loop.close()
        self._loop = self._thread = None

    def _run(self, coroutine: Coroutine[Any, Any, Any], timeout: float) -> Any:
        """Run ``coroutine`` on the backend's loop and wait for its result."""
        assert self._loop is not None, "the loop runs between _start_loop() and _stop_loop()"
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except TIMEOUTS:
            future.cancel()
            raise

    async def _connect(self, jid: str, password: str, peer: list[tuple[str, int]]) -> Any:
        import aiosasl
        import aioxmpp
        import OpenSSL.SSL

        try:
            local_jid = aioxmpp.JID.fromstr(jid)
        except ValueError as err:
            raise ImproperlyConfigured(f"DJANGO_VOX_XMPP_JID {jid!r} is not a valid JID: {err}") \
                from err
        verify = conf.get("DJANGO_VOX_XMPP_VERIFY_TLS")
        layer = aioxmpp.make_security_layer(password, no_verify=not verify)
        override = [(host, port, aioxmpp.connector.STARTTLSConnector()) for host, port in peer]
        client = aioxmpp.Client(
            local_jid, layer, override_peer=override, max_initial_attempts=1,
            negotiation_timeout=datetime.timedelta(seconds=self.TIMEOUT),
        )
        where = f"{peer[0][0]}:{peer[0][1]}" if peer else local_jid.domain
        session = client.connected(presence=aioxmpp.PresenceState(False),
                                   timeout=datetime.timedelta(seconds=self.TIMEOUT))
        try:
            await session.__aenter__()
        except (aiosasl.SASLError, aioxmpp.errors.SASLUnavailable) as err:
            raise PermanentSendError(
                f"XMPP login as {jid} on {where} was refused (check "
                f"DJANGO_VOX_XMPP_JID and DJANGO_VOX_XMPP_PASSWORD): {_reason(err)}") from err
        except aioxmpp.errors.TLSFailure as err:
            raise PermanentSendError(
                f"XMPP server {where} failed TLS verification (set DJANGO_VOX_XMPP_VERIFY_TLS "
                f"= False only for a server you trust): {err}") from err
        except (OpenSSL.SSL.Error, asyncio.InvalidStateError) as err:
            # aioopenssl 0.6 reports a failed TLS handshake (an unverifiable
            # certificate) either as the SSL error itself or, depending on timing,
            # by tripping over its own future with the SSL error as the context.
            ssl_error = err if isinstance(err, OpenSSL.SSL.Error) else err.__context__
            if not isinstance(ssl_error, OpenSSL.SSL.Error):
                raise
            raise PermanentSendError(
                f"TLS handshake with the XMPP server {where} failed (set "
                f"DJANGO_VOX_XMPP_VERIFY_TLS = False only for a server you trust): "
                f"{ssl_error}") from ssl_error
        except (OSError, ValueError, *TIMEOUTS) as err:
            raise TransientSendError(
                f"Could not reach the XMPP server {where} for {jid}: {_reason(err)}") from err
        self._session = session
        return client

    # -- sending --------------------------------------------------------------
    def validate_address(self, address: str) -> Any:
        """Refuse what is not a bare or full JID; return the parsed ``aioxmpp.JID``."""
        import aioxmpp

        if not isinstance(address, str) or _CONTROL.search(address):
            raise InvalidAddress(address, "spaces, line breaks and control characters are not "
                                 "allowed in a JID", protocol=self.PROTOCOL)
        try:
            jid = aioxmpp.JID.fromstr(address or "")
        except ValueError as err:
            raise InvalidAddress(address, f"not a valid JID ({err})", protocol=self.PROTOCOL) \
                from err
        if not jid.localpart or "@" in jid.domain:
            raise InvalidAddress(address, "a JID reads user@domain (a resource may follow)",
                                 protocol=self.PROTOCOL)
        return jid

    def deliver(self, address: str, message: Message) -> None:
        self._run(self._send(self.validate_address(address), message.text), self.TIMEOUT)

    def map_transport_error(self, err: BaseException, what: str) -> SendError:
        return TransientSendError(f"Sending the XMPP message to {what} failed: {_reason(err)}")

    async def _send(self, recipient: Any, text: str) -> None:
        import aioxmpp

        stanza = aioxmpp.Message(to=recipient, type_=aioxmpp.MessageType.CHAT)
        stanza.body[None] = text
        await self._client.send(stanza)


def _server_setting() -> list[tuple[str, int]]:
    """DJANGO_VOX_XMPP_SERVER as ``[(host, port)]``, or ``[]`` to use DNS."""
    value = conf.get("DJANGO_VOX_XMPP_SERVER")
    if not value:
        return []
    host, _colon, port = str(value).rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ImproperlyConfigured(
            f'DJANGO_VOX_XMPP_SERVER {value!r} must be "host:port", e.g. "xmpp.example.org:5222".')
    return [(host, int(port))]


def _quiet_loop_errors(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """aioxmpp leaves futures with unretrieved exceptions behind after a failed
    connection; they repeat what open() already raised, so keep them at debug."""
    logger.debug("XMPP event loop: %s", context.get("message"), exc_info=context.get("exception"))


def _reason(err: BaseException) -> str:
    text = str(err)
    return f"{type(err).__name__}: {text}" if text else type(err).__name__
