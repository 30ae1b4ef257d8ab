"""The client's address, read only through the proxies the deployment declares.

`X-Forwarded-For` is a list any client can start: each proxy appends the address it was
connected from. So only the last `TRUSTED_PROXY_COUNT` hops, or hops from addresses in
`TRUSTED_PROXIES`, are believed; with neither set (the default) the header is ignored and the
address is the TCP peer's. This is Werkzeug's ProxyFix(x_for=N) rule, plus a list of proxy
addresses for deployments whose proxy count varies. (django-ipware's `proxy_count` counts
proxies inside the header instead, so one honest proxy gave no address at all and every
client shared one lockout bucket.)
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> str | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _trusted(address: str, networks: list[Network]) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in networks)


def trusted_proxy_networks() -> list[Network]:
    return [ipaddress.ip_network(item, strict=False) for item in settings.TRUSTED_PROXIES]


def client_ip(request: HttpRequest) -> str | None:
    """The address of the client that sent `request` (AXES_CLIENT_IP_CALLABLE)."""
    peer = _address(request.META.get("REMOTE_ADDR", "")) or None
    count = settings.TRUSTED_PROXY_COUNT
    networks = trusted_proxy_networks()
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if peer is None or not header or (count <= 0 and not networks):
        return peer
    hops = [_address(part) for part in header.split(",")]
    chain = [*hops, peer]  # oldest first; the last is who connected to us
    if networks:
        # Walk back from the peer while the hop is one of our proxies.
        index = len(chain) - 1
        while index > 0 and (hop := chain[index]) is not None and _trusted(hop, networks):
            index -= 1
        return chain[index] or peer
    # A fixed number of proxies: the client is the hop `count` places before the peer. A
    # shorter chain means the request did not come through them all: believe only the peer.
    if len(chain) <= count:
        return peer
    return chain[-(count + 1)] or peer
