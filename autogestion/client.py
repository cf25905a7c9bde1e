"""Who is calling: the client's IP (trusting only the configured proxies) and the security log.

The IP is the socket's peer, or — when that peer is a proxy listed in AUTOGESTION_TRUSTED_PROXIES — the
right-most X-Forwarded-For hop that is not itself a trusted proxy. The left-most value, which the client
writes, is never believed. Handlers set it once per event (`set_client_ip`); services read it for
per-client limits and log lines without knowing about Reflex.
"""

from __future__ import annotations

import ipaddress
import logging
from contextvars import ContextVar

security_log = logging.getLogger("autogestion.security")
_client_ip: ContextVar[str] = ContextVar("client_ip", default="")
_UNKNOWN = "0.0.0.0"
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def parse_networks(value: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """ "10.0.0.1, 192.168.0.0/24" → networks; raises ValueError naming the bad entry."""
    networks = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or network: {item!r}") from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address: str, networks) -> bool:
    parsed = _address(address)
    return parsed is not None and any(parsed in network for network in networks)


def resolve_client_ip(peer: str, forwarded_for: str, trusted) -> str:
    """The client's address seen from here.

    Args:
        peer: The socket's peer address.
        forwarded_for: The X-Forwarded-For header as received ("" when absent).
        trusted: Networks of the reverse proxies whose X-Forwarded-For is believed.

    Returns:
        peer, unless peer is a trusted proxy: then the right-most forwarded hop that is not a trusted
        proxy (or the left-most one when every hop is trusted). A hop that is not an address is the end of
        what can be believed: the last trusted hop's peer is returned instead.
    """
    peer = (peer or "").strip() or _UNKNOWN
    if not trusted or not _trusted(peer, trusted):
        return peer
    current = peer
    for hop in reversed([h.strip() for h in (forwarded_for or "").split(",") if h.strip()]):
        if _address(hop) is None:
            return current
        current = hop
        if not _trusted(hop, trusted):
            return hop
    return current


def set_client_ip(ip: str) -> None:
    """Remember the caller's IP for the rest of this event (limits, log lines)."""
    _client_ip.set(ip)


def client_ip() -> str:
    """The caller's IP for this event ("0.0.0.0" outside a request: CLI, tests, workers)."""
    return _client_ip.get() or _UNKNOWN


def is_loopback(ip: str) -> bool:
    parsed = _address(ip)
    return parsed is not None and parsed.is_loopback


def _clean(value: object) -> str:
    # repr() escapes CR, LF and every other control character: user input cannot forge a log line.
    text = str(value)
    escaped = text.encode("unicode_escape").decode("ascii")
    return escaped[:200] if escaped == text and " " not in text else repr(text[:200])


def security_event(event: str, **fields: object) -> None:
    """One line in the security log: the event, the client IP, and the given fields (never secrets).

    Pass masked documents (`formatting.mask_document`), user ids and reasons; never passwords, codes,
    session ids or tokens.
    """
    ip = client_ip()
    parts = [f"event={event}", f"ip={_clean(ip)}"]
    parts += [f"{key}={_clean(value)}" for key, value in fields.items()]
    # The same facts as fields of their own: the production log (JSON, autogestion/logs.py) shows them as
    # keys. A name LogRecord already uses (e.g. "name") gets a trailing underscore instead of clashing.
    extra: dict[str, object] = {"event": event, "ip": ip}
    for key, value in fields.items():
        extra[f"{key}_" if key in _RECORD_ATTRS or key in extra else key] = (
            value if isinstance(value, (int, float, bool)) or value is None else str(value)[:200]
        )
    security_log.warning(" ".join(parts), extra=extra)
