"""Server-side login sessions: opaque random tokens stored hashed, idle and absolute timeouts.

How a browser tab gets logged in, and why nothing but a checked password or code can do it:
1. The service that has just checked the credentials (`accounts.authenticate`, the registration steps)
   mints a `LoginTicket`. Nothing that arrives over the websocket is one: handlers receive JSON.
2. `create_claim` turns a fresh ticket into a 60-second claim bound to the tab's Reflex token and to a
   random nonce, which it returns; the handler hands the nonce to that tab only, in its response.
3. The tab POSTs `/api/sesion` with its token and the nonce; `redeem_claim` consumes the claim (once)
   and mints the session, whose token goes back only as an HttpOnly cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import select

from autogestion.models import (
    AuthSession,
    LoginClaim,
    Operator,
    OperatorPublic,
    OutboxMessage,
    SessionKind,
    User,
    ViewerPublic,
)

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
_TOUCH_EVERY = timedelta(seconds=30)
CLAIM_TTL = timedelta(seconds=60)
TICKET_TTL = timedelta(seconds=60)
_MINT = object()


def token_hash(token: str) -> str:
    """SHA-256 of a token (session, tab, nonce): the only form in which the database holds one."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LoginTicket:
    """Proof that user_id has just passed a credential check: only `issue_ticket` makes one."""

    user_id: int
    kind: str
    issued_at: datetime
    _mint: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._mint is not _MINT:
            raise TypeError("a LoginTicket is issued by sessions.issue_ticket, right after a credential check")


def issue_ticket(*, user_id: int, kind: str, now: datetime) -> LoginTicket:
    """A ticket for user_id. Call it only where a password or a code has just been verified."""
    return LoginTicket(user_id=user_id, kind=kind, issued_at=now, _mint=_MINT)


async def create_session(*, session, user_id: int, kind: str = SessionKind.CUSTOMER, now: datetime) -> str:
    """A new 256-bit token for user_id; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    session.add(AuthSession(token_hash=token_hash(token), user_id=user_id, kind=kind, created_at=now, last_seen_at=now))
    return token


def _plausible(token: object) -> bool:
    return isinstance(token, str) and 20 <= len(token) <= 100


def _still_live(row: AuthSession | None, *, kind: str, now: datetime) -> bool:
    """Whether row is a live session of kind; ends it when it went idle or too old, touches it otherwise."""
    if row is None or row.kind != kind or row.revoked_at is not None:
        return False
    if now - row.last_seen_at > IDLE_TIMEOUT or now - row.created_at > ABSOLUTE_TIMEOUT:
        row.revoked_at = now
        return False
    if now - row.last_seen_at > _TOUCH_EVERY:
        row.last_seen_at = now
    return True


async def resolve_session(*, session, token: object, kind: str = SessionKind.CUSTOMER, now: datetime) -> int | None:
    """The user id behind token, or None when it is unknown, revoked, idle or too old."""
    if not _plausible(token):
        return None
    row = (await session.exec(select(AuthSession).where(AuthSession.token_hash == token_hash(token)))).first()  # type: ignore[arg-type]
    return row.user_id if _still_live(row, kind=kind, now=now) else None


async def resolve_viewer(*, session, token: object, now: datetime) -> ViewerPublic | None:
    """The customer behind token with their status, DNI state and unread count, in one query."""
    if not _plausible(token):
        return None
    unread = (
        select(func.count(OutboxMessage.id))
        .where(OutboxMessage.user_id == AuthSession.user_id, OutboxMessage.read_at.is_(None))
        .scalar_subquery()
    )
    row = (
        await session.exec(
            select(AuthSession, User, unread)
            .join(User, User.id == AuthSession.user_id)
            .where(AuthSession.token_hash == token_hash(token), AuthSession.kind == SessionKind.CUSTOMER)  # type: ignore[arg-type]
        )
    ).first()
    if row is None:
        return None
    auth, user, unread_count = row
    if not _still_live(auth, kind=SessionKind.CUSTOMER, now=now):
        return None
    return ViewerPublic(
        user_id=user.id,
        status=user.status,
        dni_status=user.dni_status,
        full_name=f"{user.first_names} {user.last_names}".strip() or user.doc_number,
        unread=int(unread_count or 0),
    )


async def resolve_operator_viewer(*, session, token: object, now: datetime) -> OperatorPublic | None:
    """The active operator behind an operator-session token (one query), with the same idle and absolute
    timeouts as customers; None for a customer session, an unknown or inactive operator."""
    if not _plausible(token):
        return None
    row = (
        await session.exec(
            select(AuthSession, Operator)
            .join(Operator, Operator.id == AuthSession.user_id)
            .where(AuthSession.token_hash == token_hash(token), AuthSession.kind == SessionKind.OPERATOR)  # type: ignore[arg-type]
        )
    ).first()
    if row is None:
        return None
    auth, operator = row
    if not _still_live(auth, kind=SessionKind.OPERATOR, now=now) or not operator.active:
        return None
    return OperatorPublic.from_operator(operator)


async def revoke_session(*, session, token: object, now: datetime) -> None:
    """End one session (logout)."""
    if not _plausible(token):
        return
    await session.exec(
        update(AuthSession)
        .where(AuthSession.token_hash == token_hash(token), AuthSession.revoked_at.is_(None))  # type: ignore[arg-type]
        .values(revoked_at=now)
    )


async def revoke_all(
    *, session, user_id: int, now: datetime, keep_token: str | None = None, kind: str = SessionKind.CUSTOMER
) -> None:
    """End every session of user_id (password change, recovery, lockout), optionally keeping the caller's."""
    stmt = update(AuthSession).where(
        AuthSession.user_id == user_id,
        AuthSession.kind == kind,
        AuthSession.revoked_at.is_(None),  # type: ignore[union-attr]
    )
    if keep_token:
        stmt = stmt.where(AuthSession.token_hash != token_hash(keep_token))
    await session.exec(stmt.values(revoked_at=now))


async def create_claim(*, session, ticket: LoginTicket, client_token: object, now: datetime) -> str:
    """Remember that the tab holding client_token may log in as the ticket's user; returns the tab's nonce.

    Raises:
        TypeError: ticket is not a LoginTicket (nothing from a client can be one).
        ValueError: the ticket is stale, or there is no client token.
    """
    if not isinstance(ticket, LoginTicket):
        raise TypeError("create_claim needs a LoginTicket from a credential check")
    if not timedelta(0) <= now - ticket.issued_at <= TICKET_TTL:
        raise ValueError("stale login ticket")
    if not isinstance(client_token, str) or not 8 <= len(client_token) <= 100:
        raise ValueError("a login claim needs the client's token")
    await session.exec(
        update(LoginClaim)
        .where(LoginClaim.client_hash == token_hash(client_token), LoginClaim.used_at.is_(None))  # type: ignore[union-attr]
        .values(used_at=now)
    )
    nonce = secrets.token_urlsafe(32)
    session.add(
        LoginClaim(
            client_hash=token_hash(client_token),
            nonce_hash=token_hash(nonce),
            user_id=ticket.user_id,
            kind=ticket.kind,
            created_at=now,
            expires_at=now + CLAIM_TTL,
        )
    )
    return nonce


async def redeem_claim(*, session, client_token: object, nonce: object, now: datetime) -> tuple[str, str] | None:
    """Consume the tab's pending claim (its token and nonce must both match) and mint its session.

    Returns:
        (session token, kind), or None when there is no such live claim.
    """
    if not isinstance(client_token, str) or not 8 <= len(client_token) <= 100 or not _plausible(nonce):
        return None
    claim = (
        await session.exec(
            select(LoginClaim)
            .where(
                LoginClaim.client_hash == token_hash(client_token),
                LoginClaim.nonce_hash == token_hash(nonce),  # type: ignore[arg-type]
                LoginClaim.used_at.is_(None),  # type: ignore[union-attr]
                LoginClaim.expires_at > now,
            )
            .limit(1)
        )
    ).first()
    if claim is None:
        return None
    consumed = await session.exec(
        update(LoginClaim)
        .where(LoginClaim.id == claim.id, LoginClaim.used_at.is_(None))  # type: ignore[union-attr]
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if consumed.rowcount != 1:
        return None
    return await create_session(session=session, user_id=claim.user_id, kind=claim.kind, now=now), claim.kind
