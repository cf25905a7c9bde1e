"""Server-side login sessions: opaque random tokens stored hashed, idle and absolute timeouts."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from autogestion.models import AuthSession, LoginClaim

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
_TOUCH_EVERY = timedelta(seconds=30)
CLAIM_TTL = timedelta(seconds=60)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create_session(session, *, user_id: int, kind: str = "customer", now: datetime) -> str:
    """A new 256-bit token for user_id; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    session.add(AuthSession(token_hash=token_hash(token), user_id=user_id, kind=kind, created_at=now, last_seen_at=now))
    return token


async def resolve_session(session, *, token: str, kind: str = "customer", now: datetime) -> int | None:
    """The user id behind token, or None when it is unknown, revoked, idle or too old."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    row = (
        await session.execute(select(AuthSession).where(AuthSession.token_hash == token_hash(token)))
    ).scalar_one_or_none()
    if row is None or row.kind != kind or row.revoked_at is not None:
        return None
    if now - row.last_seen_at > IDLE_TIMEOUT or now - row.created_at > ABSOLUTE_TIMEOUT:
        row.revoked_at = now
        return None
    if now - row.last_seen_at > _TOUCH_EVERY:
        row.last_seen_at = now
    return row.user_id


async def revoke_session(session, *, token: str, now: datetime) -> None:
    """End one session (logout)."""
    await session.execute(
        update(AuthSession)
        .where(AuthSession.token_hash == token_hash(token), AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_all(session, *, user_id: int, now: datetime, keep_token: str | None = None, kind: str = "customer") -> None:
    """End every session of user_id (password change, recovery), optionally keeping the caller's."""
    stmt = update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.kind == kind, AuthSession.revoked_at.is_(None)
    )
    if keep_token:
        stmt = stmt.where(AuthSession.token_hash != token_hash(keep_token))
    await session.execute(stmt.values(revoked_at=now))


async def create_claim(session, *, client_token: str, user_id: int, kind: str = "customer", now: datetime) -> None:
    """Remember that the browser tab holding client_token has just logged in as user_id."""
    if not isinstance(client_token, str) or not client_token:
        raise ValueError("a login claim needs the client's token")
    await session.execute(
        update(LoginClaim).where(LoginClaim.client_hash == token_hash(client_token), LoginClaim.used_at.is_(None))
        .values(used_at=now)
    )
    session.add(LoginClaim(client_hash=token_hash(client_token), user_id=user_id, kind=kind, created_at=now,
                           expires_at=now + CLAIM_TTL))


async def redeem_claim(session, *, client_token: str, now: datetime) -> tuple[str, str] | None:
    """Consume the tab's pending claim and mint its session: (token, kind), or None."""
    if not isinstance(client_token, str) or not 8 <= len(client_token) <= 100:
        return None
    claim = (
        await session.execute(
            select(LoginClaim).where(LoginClaim.client_hash == token_hash(client_token), LoginClaim.used_at.is_(None),
                                     LoginClaim.expires_at > now)
            .order_by(LoginClaim.id.desc()).limit(1)
        )
    ).scalar_one_or_none()
    if claim is None:
        return None
    consumed = await session.execute(
        update(LoginClaim).where(LoginClaim.id == claim.id, LoginClaim.used_at.is_(None)).values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if consumed.rowcount != 1:
        return None
    return await create_session(session, user_id=claim.user_id, kind=claim.kind, now=now), claim.kind
