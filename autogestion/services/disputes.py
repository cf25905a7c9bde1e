"""«Yo no autoricé esto»: the holder of a supply someone else linked says so from the link in their e-mail.

The holder's notice (`notices.supply_linked_by_other`) carries `<AUTOGESTION_BASE_URL>/suministros/desconocer/
<token>`. The token names the link and the holder's account, lives 30 days and is signed with a key of its own
derived from the secret, so no other signed link of the portal verifies as one. Opening it needs no login (the
holder may have forgotten their password, or never log in); it only ever does one thing: put that link at the
top of the operators' queue (`review.dispute_link`), once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime, timedelta

from autogestion import routes
from autogestion.clock import format_local, to_local
from autogestion.config import get_settings
from autogestion.models import DisputePublic, Supply, SupplyLink, User, UserStatus
from autogestion.services import notices, review
from autogestion.services.errors import DomainError
from autogestion.services.formatting import format_date
from autogestion.services.outbox import enqueue_email

TOKEN_TTL = timedelta(days=30)
PATH = routes.DESCONOCER.removesuffix("[token]")  # "/suministros/desconocer/"
INVALID = (
    "Este enlace no es válido o venció (dura 30 días). Si no autorizaste que asocien tu suministro a otra cuenta, "
    "comunicate con nuestra oficina comercial."
)
_PREFIX = "disp"
_MAX_TOKEN_CHARS = 200
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,120}\.[A-Za-z0-9_-]{1,60}")


class InvalidDispute(DomainError):
    """The token is malformed, tampered with, expired, or names a link or holder that no longer fits."""

    def __init__(self) -> None:
        super().__init__(INVALID)


def _key() -> bytes:
    # A key of its own (like documents._link_key): a MAC made for a download link never verifies here.
    return hmac.new(get_settings().secret_key.encode(), b"autogestion/dispute-link/v1", hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(*, link_id: int, holder_user_id: int, now: datetime) -> str:
    """A URL-safe token letting the holder dispute one link for 30 days from now.

    Args:
        link_id: The link someone else made of the holder's supply.
        holder_user_id: The holder's account (who the e-mail goes to).
        now: Aware UTC time of the link.

    Returns:
        "<payload>.<mac>", both base64url without padding.
    """
    if type(link_id) is not int or type(holder_user_id) is not int or link_id < 1 or holder_user_id < 1:
        raise ValueError("invalid dispute subject")
    expires = int((now + TOKEN_TTL).timestamp())
    payload = f"{_PREFIX}:{link_id}:{holder_user_id}:{expires}".encode("ascii")
    return f"{_b64(payload)}.{_b64(hmac.new(_key(), payload, hashlib.sha256).digest())}"


def verify(token: object, *, now: datetime) -> tuple[int, int]:
    """Check a token made by sign().

    Args:
        token: As received (any type: it comes from a URL).
        now: Aware UTC time.

    Returns:
        (link_id, holder_user_id).

    Raises:
        InvalidDispute: Malformed, tampered with or expired.
    """
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_CHARS or not _TOKEN.fullmatch(token):
        raise InvalidDispute()
    payload_b64, mac_b64 = token.split(".")
    try:
        payload, mac = _unb64(payload_b64), _unb64(mac_b64)
    except (ValueError, TypeError):
        raise InvalidDispute() from None
    if not hmac.compare_digest(mac, hmac.new(_key(), payload, hashlib.sha256).digest()):
        raise InvalidDispute()
    try:
        prefix, link_id, holder_id, expires = payload.decode("ascii").split(":")
        link, holder, expiry = int(link_id), int(holder_id), int(expires)
    except ValueError:
        raise InvalidDispute() from None
    if prefix != _PREFIX or now.timestamp() >= expiry:
        raise InvalidDispute()
    return link, holder


def url(token: str) -> str:
    """The link for the e-mail: always AUTOGESTION_BASE_URL (never a request's Host header)."""
    return f"{get_settings().base_url}{PATH}{token}"


async def _subject(session, token: object, now: datetime) -> tuple[SupplyLink, User, Supply]:
    """The link and the holder the token names, still fitting together: the holder's account is active and
    still the supply's holder, and the link is someone else's."""
    link_id, holder_id = verify(token, now=now)
    link = await session.get(SupplyLink, link_id)
    holder = await session.get(User, holder_id)
    supply = await session.get(Supply, link.supply_number) if link is not None else None
    if (
        link is None
        or holder is None
        or supply is None
        or holder.status != UserStatus.ACTIVE
        or link.user_id == holder.id
        or (holder.doc_type.upper(), holder.doc_number) != (supply.holder_doc_type.upper(), supply.holder_doc_number)
    ):
        raise InvalidDispute()
    return link, holder, supply


async def _public(session, link: SupplyLink, *, already: bool) -> DisputePublic:
    from autogestion.services.supplies import mask_name  # supplies builds the token: import it late

    linker = await session.get(User, link.user_id)
    name = f"{linker.first_names} {linker.last_names}".strip() if linker else ""
    return DisputePublic(
        supply_number=link.supply_number,
        linker_masked=mask_name(name),
        linked_at=format_date(to_local(link.created_at).date()),
        received=link.disputed_at is not None,
        already_received=already,
        received_at=format_local(link.disputed_at)[:16] if link.disputed_at else "",
    )


async def preview(*, session, token: object, now: datetime) -> DisputePublic:
    """What the page shows before the holder confirms (or that the notice was already received).

    Raises:
        InvalidDispute: A bad or expired token, or one that no longer fits the link and its holder.
    """
    link, _holder, _supply = await _subject(session, token, now)
    return await _public(session, link, already=link.disputed_at is not None)


async def dispute(*, session, token: object, now: datetime) -> DisputePublic:
    """ "No autoricé esta asociación": the link goes to the top of the operators' queue, once, and the holder
    is told by e-mail that the notice arrived. A second use changes nothing and says it was received.

    Args:
        session: An open session; the caller commits (flag, queue item and e-mail in one transaction).
        token: From the URL.
        now: Aware UTC time.

    Returns:
        DisputePublic with received=True (already_received when it had been recorded before).

    Raises:
        InvalidDispute: A bad or expired token, or one that no longer fits the link and its holder.
    """
    link, holder, supply = await _subject(session, token, now)
    recorded = await review.dispute_link(session=session, link_id=link.id, holder_user_id=holder.id, now=now)
    if recorded and holder.email:
        mail = notices.dispute_received(
            name=f"{holder.first_names} {holder.last_names}".strip(), when=now, number=supply.number
        )
        enqueue_email(session, to=holder.email, subject=mail.subject, body=mail.body, user_id=holder.id)
    await session.refresh(link)
    return await _public(session, link, already=not recorded)
