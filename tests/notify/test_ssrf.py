"""SSRF: an IPv6 address that carries an IPv4 address is judged by that IPv4 address too, whatever the form
(IPv4-mapped, IPv4-compatible, 6to4, NAT64, Teredo), and IPv4 addresses spelled as other numbers are refused."""

from __future__ import annotations

import ipaddress

import pytest

from momentos.notify.ssrf import UnsafeUrl, check_url, embedded_ipv4, is_public


def _teredo(server: str, client: str) -> str:
    """A Teredo address (2001::/32): the server's IPv4 address, then the client's XOR'd with all ones."""
    s = int(ipaddress.IPv4Address(server))
    c = int(ipaddress.IPv4Address(client)) ^ 0xFFFFFFFF
    return str(ipaddress.IPv6Address((0x20010000 << 96) | (s << 64) | c))


EMBEDDING_PRIVATE = {
    "6to4 of loopback": "2002:7f00:1::",
    "6to4 of loopback, other host bits": "2002:7f00:0001:1234::1",
    "6to4 of a private network": "2002:0a00:0001::",
    "6to4 of cloud metadata": "2002:a9fe:a9fe::",
    "6to4 of shared address space": "2002:6440:0001::",
    "IPv4-mapped loopback": "::ffff:127.0.0.1",
    "IPv4-mapped private": "::ffff:192.168.1.1",
    "IPv4-mapped metadata": "::ffff:169.254.169.254",
    "IPv4-compatible loopback": "::127.0.0.1",
    "IPv4-compatible private": "::10.0.0.1",
    "NAT64 of loopback": "64:ff9b::127.0.0.1",
    "NAT64 of metadata": "64:ff9b::a9fe:a9fe",
    "NAT64 of a private network": "64:ff9b::10.1.2.3",
    "local-use NAT64": "64:ff9b:1::7f00:1",
    "Teredo client loopback": _teredo("65.54.227.120", "127.0.0.1"),
    "Teredo client private": _teredo("65.54.227.120", "192.168.0.10"),
    "Teredo server loopback": _teredo("127.0.0.1", "8.8.8.8"),
}


@pytest.mark.parametrize("address", list(EMBEDDING_PRIVATE.values()), ids=list(EMBEDDING_PRIVATE))
def test_an_ipv6_address_embedding_a_private_ipv4_address_is_refused(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))
    with pytest.raises(UnsafeUrl):
        check_url(f"http://[{address}]/hook")
    with pytest.raises(UnsafeUrl):
        check_url(f"https://[{address}]:8443/hook")


def test_the_embedded_ipv4_addresses_are_found_in_every_form() -> None:
    def found(text: str) -> list[str]:
        address = ipaddress.ip_address(text)
        assert isinstance(address, ipaddress.IPv6Address)
        return [str(a) for a in embedded_ipv4(address)]

    assert found("2002:7f00:1::") == ["127.0.0.1"]
    assert found("::ffff:10.0.0.1") == ["10.0.0.1"]
    assert found("::10.0.0.1") == ["10.0.0.1"]
    assert found("64:ff9b::8.8.8.8") == ["8.8.8.8"]
    assert found(_teredo("65.54.227.120", "127.0.0.1")) == ["65.54.227.120", "127.0.0.1"]  # client un-XOR'd
    assert found("2001:4860:4860::8888") == []


@pytest.mark.parametrize("address", ["2002:0808:0808::1", "::ffff:8.8.8.8", "64:ff9b::8.8.8.8",
                                     "2001:4860:4860::8888", "8.8.8.8"])
def test_public_addresses_and_embeddings_of_public_ipv4_addresses_stay_allowed(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0x7f.1", "0x7f.0.0.1",
                                  "017700000001", "127.0.0.01", "134744072", "10.0.1"])
def test_ipv4_addresses_written_as_other_numbers_are_refused(host: str) -> None:
    with pytest.raises(UnsafeUrl) as refused:
        check_url(f"http://{host}/hook", resolve=False)  # refused before any lookup
    assert refused.value.detail == {"host": host}
    with pytest.raises(UnsafeUrl):
        check_url(f"http://{host}:8080/hook", ["127.0.0.1/32"])


def test_dotted_decimal_and_names_that_start_with_digits_are_not_numbers() -> None:
    assert check_url("http://127.0.0.1:9/hook", ["127.0.0.1/32"]).address == "127.0.0.1"
    assert check_url("https://8.8.8.8/hook").address == "8.8.8.8"
    assert check_url("https://1e100.net/hook", resolve=False).host == "1e100.net"
    assert check_url("https://123.example/hook", resolve=False).host == "123.example"
