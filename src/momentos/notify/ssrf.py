"""Webhook URL checks against server-side request forgery: scheme, credentials, and every resolved address
(loopback, private, link-local, shared, multicast, reserved, cloud metadata) — at create, update and send time.
The caller connects to the address checked here (no second DNS lookup: no rebinding) and never follows redirects.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from momentos.errors import ValidationFailed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
            ipaddress.ip_address("100.100.100.200")}
SHARED = ipaddress.ip_network("100.64.0.0/10")


class UnsafeUrl(ValidationFailed):
    code = "unsafe_webhook_url"


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    address: str
    path: str


def _allowed(host: str, address: IPAddress, allow: Sequence[str]) -> bool:
    for entry in allow:
        if entry == host:
            return True
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (address in METADATA or address.is_private or address.is_loopback or address.is_link_local
                or address.is_multicast or address.is_reserved or address.is_unspecified
                or (isinstance(address, ipaddress.IPv4Address) and address in SHARED))


def check_url(url: str, allow: Sequence[str] = (), *, resolve: bool = True) -> Target:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeUrl("A webhook URL must be http(s) with a host.", detail={"url": url})
    if parts.username or parts.password:
        raise UnsafeUrl("A webhook URL may not carry credentials.", detail={"url": url})
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM) if resolve else []
    except socket.gaierror as exc:
        raise UnsafeUrl("The webhook host does not resolve.", detail={"host": host}) from exc
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if resolve and not addresses:
        raise UnsafeUrl("The webhook host does not resolve.", detail={"host": host})
    for address in addresses:
        if not is_public(address) and not _allowed(host, address, allow):
            raise UnsafeUrl("The webhook URL points to a private, loopback, link-local or metadata address.",
                            detail={"host": host, "address": str(address)})
    return Target(parts.scheme, host, port, str(addresses[0]) if addresses else host, path)
