"""Client IP behind proxies (only trusted hops are believed) and security log lines that cannot be forged."""

from __future__ import annotations

import logging

import pytest

from autogestion.client import parse_networks, resolve_client_ip, security_event, set_client_ip

PROXIES = parse_networks("10.0.0.5, 10.1.0.0/16")


@pytest.mark.parametrize(
    "peer,forwarded,expected",
    [
        ("203.0.113.9", "", "203.0.113.9"),
        ("203.0.113.9", "1.2.3.4", "203.0.113.9"),  # not from a trusted proxy: XFF is the client's own words
        ("10.0.0.5", "198.51.100.7", "198.51.100.7"),
        ("10.0.0.5", "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the left-most value is written by the client
        ("10.0.0.5", "6.6.6.6, 198.51.100.7, 10.1.2.3", "198.51.100.7"),  # two proxies in a row
        ("10.0.0.5", "not-an-ip", "10.0.0.5"),
        ("10.0.0.5", "", "10.0.0.5"),
        ("", "", "0.0.0.0"),
    ],
)
def test_only_trusted_hops_are_believed(peer, forwarded, expected):
    assert resolve_client_ip(peer, forwarded, PROXIES) == expected


def test_without_trusted_proxies_the_peer_is_the_client():
    assert resolve_client_ip("127.0.0.1", "9.9.9.9", ()) == "127.0.0.1"


def test_rotating_forwarded_for_does_not_change_the_client():
    seen = {resolve_client_ip("10.0.0.5", f"{i}.{i}.{i}.{i}, 198.51.100.7", PROXIES) for i in range(1, 50)}
    assert seen == {"198.51.100.7"}


def test_bad_network_is_named():
    with pytest.raises(ValueError, match="proxy.local"):
        parse_networks("10.0.0.1, proxy.local")


def test_security_line_escapes_line_breaks(caplog):
    set_client_ip("203.0.113.9")
    with caplog.at_level(logging.WARNING, logger="autogestion.security"):
        security_event("login_refused", doc="1\r\nINFO fake entry", reason="x")
    set_client_ip("")
    [record] = caplog.records
    line = record.getMessage()
    assert "\n" not in line and "\r" not in line
    assert "ip=203.0.113.9" in line and "event=login_refused" in line
