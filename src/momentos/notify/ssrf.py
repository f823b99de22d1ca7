"""Webhook URL checks against server-side request forgery: scheme, credentials, and every resolved address
(loopback, private, link-local, shared, multicast, reserved, cloud metadata) — at create, update and send time.
The caller connects to the address checked here (no second DNS lookup: no rebinding) and never follows redirects.

An IPv6 address that carries an IPv4 address is judged by that IPv4 address too: IPv4-mapped (``::ffff:a.b.c.d``)
and NAT64 (``64:ff9b::/96``) by the IPv4 address they reach; 6to4 (``2002::/16``) and Teredo (``2001::/32``, server
and client) by the IPv6 address and every IPv4 address in it; IPv4-compatible (``::a.b.c.d``, deprecated) and
local-use NAT64 (``64:ff9b:1::/48``, whose embedding depends on the site) are never public. A host spelled as a
number in another form than dotted decimal (``2130706433``, ``0x7f.1``, ``0177.0.0.1``: resolvers read them as
IPv4 addresses) is refused outright.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from momentos.errors import ValidationFailed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
            ipaddress.ip_address("100.100.100.200")}
SHARED = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
"""The well-known NAT64 prefix: the last 32 bits are the IPv4 address reached through the translator."""
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


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


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (IPv4-mapped, IPv4-compatible, 6to4, NAT64, Teredo server and
    client — the ``ipaddress`` module un-XORs the client); empty for a plain IPv6 address."""
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if address in NAT64 or address in IPV4_COMPATIBLE:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def _public_as_such(address: IPAddress) -> bool:
    return not (address in METADATA or address.is_private or address.is_loopback or address.is_link_local
                or address.is_multicast or address.is_reserved or address.is_unspecified
                or (isinstance(address, ipaddress.IPv4Address) and address in SHARED))


def is_public(address: IPAddress) -> bool:
    """Whether a webhook may connect to ``address``: a public address that carries no IPv4 address that is not."""
    if isinstance(address, ipaddress.IPv4Address):
        return _public_as_such(address)
    if address in NAT64_LOCAL or address in IPV4_COMPATIBLE:
        return False
    if address.ipv4_mapped is not None or address in NAT64:  # a translation: it reaches that IPv4 address
        return all(_public_as_such(v4) for v4 in embedded_ipv4(address))
    return _public_as_such(address) and all(_public_as_such(v4) for v4 in embedded_ipv4(address))


_NUMBER_PART = re.compile(r"(0x[0-9a-f]*|[0-9]+)", re.IGNORECASE)
_DOTTED_DECIMAL = re.compile(r"(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}")


def odd_numeric_host(host: str) -> bool:
    """A host that resolvers read as an IPv4 address written otherwise than in dotted decimal (one to four parts,
    decimal, octal with a leading 0 or hexadecimal ``0x``): ``2130706433``, ``0x7f.1``, ``0177.0.0.1``."""
    parts = host.rstrip(".").split(".")
    if not 1 <= len(parts) <= 4 or not all(_NUMBER_PART.fullmatch(p) for p in parts):
        return False
    return not _DOTTED_DECIMAL.fullmatch(host)


def check_url(url: str, allow: Sequence[str] = (), *, resolve: bool = True) -> Target:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeUrl("A webhook URL must be http(s) with a host.", detail={"url": url})
    if parts.username or parts.password:
        raise UnsafeUrl("A webhook URL may not carry credentials.", detail={"url": url})
    host = parts.hostname
    if odd_numeric_host(host):
        raise UnsafeUrl("A webhook URL must write an IPv4 address in dotted decimal.", detail={"host": host})
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
