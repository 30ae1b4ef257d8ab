"""The SSRF guard: a subscriber's URL must be https and its host must resolve only to public
addresses, unless WEBHOOK_ALLOW_PRIVATE (local runs and tests). Checked when a subscription
is made and again at every send, where the request then goes to the very address checked
(connected by IP, with the host name in the Host header and TLS SNI), so a DNS answer that
changes between the check and the connection cannot point the request inside."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(ValueError):
    """The URL may not be called; the message says why, for the subscriber's 400."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]  # the checked IP addresses, tried in turn

    @property
    def address(self) -> str:
        return self.addresses[0]


def refusal(ip: IPAddress) -> str | None:
    """Why this address may not be called, or None for a public one."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return "an IPv4-mapped IPv6 address"
        if ip in ipaddress.IPv6Network("fc00::/7"):
            return "a unique local IPv6 address"
    checks = [
        ("a loopback address", ip.is_loopback),
        ("a link-local address", ip.is_link_local),
        ("a multicast address", ip.is_multicast),
        ("an unspecified address", ip.is_unspecified),
        ("a reserved address", ip.is_reserved),
        ("a private address", ip.is_private),
    ]
    for why, hit in checks:
        if hit:
            return why
    if not ip.is_global:
        return "an address that is not public"
    return None


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"The host {host!r} does not resolve.") from exc
    addresses = []
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]  # an IPv6 scope id is not part of the address
        addresses.append(ipaddress.ip_address(text))
    if not addresses:
        raise Refused(f"The host {host!r} does not resolve.")
    return addresses


def check(url: str, *, allow_private: bool) -> Target:
    """The target to connect to, or Refused: https only (http too when private addresses are
    allowed), a host, no credentials, and every address it resolves to public."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused("Give a valid URL.") from exc
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        raise Refused("The URL must start with https://.")
    if not parts.hostname:
        raise Refused("The URL must name a host.")
    if parts.username or parts.password:
        raise Refused("The URL must not carry a user name or password.")
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = _resolve(parts.hostname, port)
    if not allow_private:
        for ip in addresses:
            why = refusal(ip)
            if why:
                raise Refused(f"The host {parts.hostname!r} resolves to {why} ({ip}).")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    unique = tuple(dict.fromkeys(str(ip) for ip in addresses))
    return Target(parts.scheme, parts.hostname, port, path, unique)


def _connect(target: Target, timeout: float | None) -> socket.socket:
    """A connection to the first of the checked addresses that answers (never to a name)."""
    error: OSError | None = None
    for address in target.addresses:
        try:
            return socket.create_connection((address, target.port), timeout)
        except OSError as exc:
            error = exc
    assert error is not None
    raise error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._target = target

    def connect(self) -> None:
        self.sock = _connect(self._target, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._target = target
        self._tls = ssl.create_default_context()

    def connect(self) -> None:
        sock = _connect(self._target, self.timeout)
        # The certificate is checked against the host name, not the address connected to.
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def post(target: Target, body: bytes, headers: dict[str, str], *, timeout: float) -> int:
    """POST body to the checked address; the status code (redirects are not followed)."""
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(target, timeout)
    else:
        connection = _PinnedHTTPConnection(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)  # what the receiver says is not kept
        return response.status
    finally:
        connection.close()
