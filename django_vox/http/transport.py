"""The connections under :class:`django_vox.http.HttpSession`.

requests-hardened's adapter resolves a data-sourced host name when
connecting, refuses private, loopback, link-local, multicast, reserved and
unspecified addresses and connects to the address it checked; an address the
site allows (``DJANGO_VOX_HTTP_ALLOWED_NETWORKS``/``_HOSTS``) is pinned the
same way.  Every connection's socket is watched by the running request's
deadline, which shuts it down when ``DJANGO_VOX_HTTP_TIMEOUT`` has passed,
whatever the peer is (slowly) doing.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

import requests
import urllib3
from django.core.exceptions import ImproperlyConfigured
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests_hardened import Config, HTTPSession
from requests_hardened.ip_filter import InvalidIPAddress, get_ip_address
from requests_hardened.ip_filter_adapter import IPFilterAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.connection import allowed_gai_family

from django_vox import conf

__all__ = ["AddressPolicy", "Deadline", "ForbiddenAddress", "is_forbidden", "new_session"]

_local = threading.local()

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def is_forbidden(address: object, port: int | None = None) -> bool:
    """requests-hardened's verdict on an IP address literal (no DNS involved)."""
    try:
        get_ip_address(str(address), port or 80, allow_loopback=False)
    except InvalidIPAddress:
        return True
    return False


class AddressPolicy:
    """The addresses a site lets data-sourced URLs reach besides public ones."""

    HINT = "allow it with DJANGO_VOX_HTTP_ALLOWED_NETWORKS or DJANGO_VOX_HTTP_ALLOWED_HOSTS"

    def __init__(self, networks: Iterable[IPNetwork] = (), hosts: Iterable[str] = ()) -> None:
        self.networks = tuple(networks)
        self.hosts = frozenset(host.lower().rstrip(".") for host in hosts)

    @classmethod
    def from_settings(cls) -> AddressPolicy:
        networks: list[IPNetwork] = []
        for value in conf.get("DJANGO_VOX_HTTP_ALLOWED_NETWORKS") or ():
            try:
                networks.append(ipaddress.ip_network(str(value), strict=False))
            except ValueError as err:
                raise ImproperlyConfigured(
                    f"DJANGO_VOX_HTTP_ALLOWED_NETWORKS: {value!r} is not a network in CIDR "
                    f"notation (e.g. '10.0.0.0/8'): {err}") from err
        hosts = conf.get("DJANGO_VOX_HTTP_ALLOWED_HOSTS") or ()
        if isinstance(hosts, str):
            raise ImproperlyConfigured("DJANGO_VOX_HTTP_ALLOWED_HOSTS must be a list of host "
                                       "names, not a string.")
        return cls(networks, hosts)

    def __bool__(self) -> bool:
        return bool(self.networks or self.hosts)

    def allows(self, hostname: str | None, address: IPAddress) -> bool:
        if (hostname or "").lower().rstrip(".") in self.hosts:
            return True
        return any(address.version == net.version and address in net for net in self.networks)

    def allowed_address(self, hostname: str | None, port: int | None) -> IPAddress | None:
        """The address to connect to when this policy allows ``hostname``, else None."""
        if not self:
            return None
        family, _type, _proto, _name, sockaddr = socket.getaddrinfo(
            hostname, port or 80, family=allowed_gai_family(), type=socket.SOCK_STREAM)[0]
        address = ipaddress.ip_address(str(sockaddr[0]))
        if address.version == 6 and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return address if self.allows(hostname, address) else None


class ForbiddenAddress(requests.RequestException):
    """A data-sourced URL resolved to an address it may not reach."""


# -- the deadline --------------------------------------------------------------
class Deadline:
    """Shuts down the sockets of one request when its time is up, whatever
    they are doing (connecting, the TLS handshake, reading headers or body)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        _local.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        _local.deadline = None

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


def _watch(sock: socket.socket | None) -> None:
    deadline = getattr(_local, "deadline", None)
    if deadline is not None and sock is not None:
        deadline.watch(sock)


if TYPE_CHECKING:  # mixed into urllib3's connection classes below
    _WatchedBase = HTTPConnection
else:
    _WatchedBase = object


class _Watched(_WatchedBase):
    """urllib3 connections whose sockets the running request's deadline can stop."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _watch(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self.sock)  # a kept-alive connection, reused
        return super().request(*args, **kwargs)


class _HTTPConnection(_Watched, HTTPConnection):
    pass


class _HTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class _DeadlineAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: Any, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if type(manager) is urllib3.ProxyManager:  # SOCKS managers keep their own pools
            manager.pool_classes_by_scheme = _POOLS
        return manager


# requests-hardened has no type information: its adapter is Any to the checker.
class _DataAdapter(_DeadlineAdapter, IPFilterAdapter):  # type: ignore[misc]
    """requests-hardened's connect-time filter, plus the site's allow-lists."""

    def __init__(self, https: bool) -> None:
        self.https = https
        super().__init__(is_https_proto=https)  # type: ignore[call-arg]  # IPFilterAdapter's

    def build_connection_pool_key_attributes(
            self, request: requests.PreparedRequest, verify: Any,
            cert: Any = None) -> tuple[Any, Any]:
        parts = urlsplit(cast(str, request.url))  # set on every request that gets here
        allowed = AddressPolicy.from_settings().allowed_address(parts.hostname, parts.port)
        if allowed is not None:
            return self._pinned(request, verify, cert, allowed)
        try:
            return super().build_connection_pool_key_attributes(request, verify, cert)
        except InvalidIPAddress as err:
            raise ForbiddenAddress(f"{parts.hostname} resolves to {err.args[0]}, which is not "
                                   f"a public address ({AddressPolicy.HINT})") from err

    def _pinned(self, request: requests.PreparedRequest, verify: Any, cert: Any,
                address: IPAddress) -> tuple[dict[str, Any], dict[str, Any]]:
        """Connect to ``address`` (checked, allowed) as requests-hardened
        connects to the addresses it accepts: TLS still verifies the name."""
        host_params, pool_kwargs = cast(
            "tuple[dict[str, Any], dict[str, Any]]",
            HTTPAdapter.build_connection_pool_key_attributes(self, request, verify, cert))
        hostname, port = host_params["host"], host_params["port"]
        header = f"[{hostname}]" if ":" in hostname else hostname
        request.headers = CaseInsensitiveDict(request.headers or {})
        request.headers["Host"] = f"{header}:{port}" if port is not None else header
        if self.https:
            pool_kwargs["assert_hostname"] = hostname
            pool_kwargs["server_hostname"] = hostname
        host_params["host"] = str(address) if address.version == 4 else f"[{address}]"
        return host_params, pool_kwargs


def new_session(trusted: bool) -> requests.Session:
    """A session for provider endpoints (``trusted``) or for data-sourced URLs."""
    config = Config(ip_filter_enable=False, ip_filter_allow_loopback_ips=False,
                    never_redirect=True, default_timeout=None)
    session: requests.Session = HTTPSession(config)
    if trusted:
        session.mount("http://", _DeadlineAdapter())
        session.mount("https://", _DeadlineAdapter())
    else:
        session.mount("http://", _DataAdapter(False))
        session.mount("https://", _DataAdapter(True))
    return session
