"""Customer documents: checked uploads stored privately, owner-only access, orphan sweeping, signed download links."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlmodel import select

from autogestion.adapters import documents as storage
from autogestion.clock import format_local, utcnow
from autogestion.config import get_settings
from autogestion.models import (
    DniStatus,
    Document,
    DocumentKind,
    DocumentPublic,
    DocumentStatus,
    LinkStatus,
    SupplyLink,
    User,
)
from autogestion.services import review, throttle
from autogestion.services.errors import AuthError, NotFound, ValidationError

# A bounded number of stored files per user (successful uploads per day), so nobody fills the disk.
MAX_UPLOADS_PER_DAY = 10
UPLOAD_WINDOW = timedelta(hours=24)
# "doc" and "invoice" are signed for a customer (user id), "opdoc" for an operator (operator id).
LINK_KINDS = ("doc", "invoice", "opdoc")
DEFAULT_LINK_TTL_S = 300
_DOCUMENT_ID = re.compile(r"[0-9a-f]{32}")
_LINK_OBJECT_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")
_MAX_TOKEN_CHARS = 400
# The manual's words: an operator judges a DNI photo LEGIBLE / NO LEGIBLE and a poder válido / rechazado.
STATUS_LABELS = {
    DocumentKind.DNI: {
        DocumentStatus.IN_REVIEW: "En análisis",
        DocumentStatus.ACCEPTED: "LEGIBLE",
        DocumentStatus.REJECTED: "NO LEGIBLE",
    },
    DocumentKind.PODER: {
        DocumentStatus.IN_REVIEW: "En análisis",
        DocumentStatus.ACCEPTED: "Válido",
        DocumentStatus.REJECTED: "Rechazado",
    },
}
_KIND_LABELS = {storage.KIND_DNI: "DNI", storage.KIND_PODER: "poder"}
NEED_DNI = "Subí una foto del frente de tu DNI."
REJECTED_FILE = "Ese archivo fue rechazado por un operador. Subí uno nuevo."


def to_public(row: Document) -> DocumentPublic:
    """The DTO of a document row, with the status in the manual's words for its kind."""
    return DocumentPublic(
        id=row.id,
        kind=row.kind,
        content_type=row.content_type,
        size=row.size,
        original_name=row.original_name,
        status=row.status,
        status_label=STATUS_LABELS.get(row.kind, {}).get(row.status, row.status),
        uploaded_at=format_local(row.created_at),
    )


def _storage_dir(storage_dir: Path | None) -> Path:
    return Path(storage_dir) if storage_dir is not None else get_settings().documents_dir


async def store_upload(
    *,
    session,
    user_id: int,
    kind: str,
    data: bytes,
    filename: str,
    storage_dir: Path | None = None,
    now: datetime | None = None,
) -> DocumentPublic:
    """Check an upload, write it under a random name, then add its Document row (flushed, not committed).

    The file is on disk before the row exists: a crash in between leaves an orphan file that
    sweep_orphans removes, never a row pointing at nothing.

    Args:
        session: An open session; the caller commits.
        user_id: The uploader (resolved by the server, never taken from the client).
        kind: "dni" or "poder".
        data: The uploaded bytes.
        filename: The client's file name (sanitised, kept only for display).
        storage_dir: The private documents folder; defaults to settings.documents_dir.
        now: Aware UTC time (tests); defaults to the clock.

    Returns:
        The stored document.

    Raises:
        ValidationError: The file was refused (the message says why).
        RateLimited: Too many uploads today.
        NotFound: The user does not exist.
    """
    if kind not in storage.KINDS:
        raise ValidationError("Tipo de documento desconocido.")
    now = now or utcnow()
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("No encontramos la cuenta.")
    await throttle.hit(
        session=session,
        key=f"upload:{user_id}",
        limit=MAX_UPLOADS_PER_DAY,
        window=UPLOAD_WINDOW,
        now=now,
        message="Subiste demasiados archivos hoy. Probá de nuevo mañana.",
    )
    checked = await asyncio.to_thread(storage.check_and_normalize, kind, data, filename)
    name = storage.new_storage_name(checked.ext)
    await asyncio.to_thread(storage.write_atomic, _storage_dir(storage_dir), name, checked.data)
    row = Document(
        user_id=user_id,
        kind=kind,
        storage_name=name,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        status=DocumentStatus.IN_REVIEW,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return to_public(row)


async def get_owned_document(*, session, user_id: int, document_id: object, kind: str | None = None) -> Document:
    """A document of this user (and kind), or NotFound; the owner is part of the query.

    Args:
        session: An open session.
        user_id: The caller.
        document_id: The id as received (any type; validated here).
        kind: Also require this kind, when given.

    Returns:
        The row.

    Raises:
        NotFound: No such document for this user.
    """
    if not isinstance(document_id, str) or not _DOCUMENT_ID.fullmatch(document_id):
        raise NotFound("Documento no encontrado.")
    query = select(Document).where(Document.id == document_id, Document.user_id == user_id)
    if kind is not None:
        query = query.where(Document.kind == kind)
    row = (await session.exec(query)).first()
    if row is None:
        raise NotFound("Documento no encontrado.")
    return row


async def usable_document(*, session, user_id: int, document_id: object, kind: str, missing: str) -> Document:
    """A document of this user and kind that an operator has not rejected, to attach to a link.

    Args:
        session: An open session.
        user_id: The caller.
        document_id: The id as received (any type; validated here).
        kind: DocumentKind.DNI or DocumentKind.PODER.
        missing: The message when there is no such document (it asks for an upload).

    Returns:
        The row.

    Raises:
        ValidationError: No such document of this user and kind (`missing`), or it was rejected (field: kind).
    """
    if not isinstance(document_id, str) or not _DOCUMENT_ID.fullmatch(document_id):
        raise ValidationError(missing, field=kind)
    row = (
        await session.exec(
            select(Document).where(Document.id == document_id, Document.user_id == user_id, Document.kind == kind)
        )
    ).first()
    if row is None:
        raise ValidationError(missing, field=kind)
    if row.status == DocumentStatus.REJECTED:
        raise ValidationError(REJECTED_FILE, field=kind)
    return row


async def _reusable_dni(session, user: User) -> Document | None:
    # The one rule for "the DNI photo on file can be reused": the profile's photo, unless an operator
    # judged it NO LEGIBLE (on the account or on the document).
    if not user.dni_document_id or user.dni_status == DniStatus.NOT_LEGIBLE:
        return None
    return (
        await session.exec(
            select(Document).where(
                Document.id == user.dni_document_id,
                Document.user_id == user.id,
                Document.kind == DocumentKind.DNI,
                Document.status != DocumentStatus.REJECTED,
            )
        )
    ).first()


async def get_reusable_dni(*, session, user_id: int) -> DocumentPublic | None:
    """The DNI photo on file that Asociar Suministro can reuse (the profile's, unless it was rejected).

    Args:
        session: An open session.
        user_id: The caller.

    Returns:
        The document, or None when the user must upload one.
    """
    user = await session.get(User, user_id)
    row = await _reusable_dni(session, user) if user is not None else None
    return to_public(row) if row else None


async def dni_for_link(*, session, user: User, document_id: str | None) -> Document:
    """The DNI photo a new link carries: the one just uploaded in Asociar, else the reusable one on file.

    Args:
        session: An open session.
        user: The linking user.
        document_id: A DNI photo this user uploaded in Asociar Suministro, or None to reuse the one on file.

    Returns:
        The document.

    Raises:
        ValidationError: No usable photo: "Subí una foto del frente de tu DNI." or a rejected one (field "dni").
    """
    if document_id is not None:
        return await usable_document(
            session=session, user_id=user.id, document_id=document_id, kind=DocumentKind.DNI, missing=NEED_DNI
        )
    on_file = await _reusable_dni(session, user)
    if on_file is None:
        raise ValidationError(NEED_DNI, field=DocumentKind.DNI)
    return on_file


async def open_document_for_user(
    *, session, user_id: int, document_id: object, storage_dir: Path | None = None
) -> tuple[Path, str, str]:
    """Where the owner's document is, to stream it from an authorised route.

    Args:
        session: An open session.
        user_id: The caller, who must own the document.
        document_id: The document id as received.
        storage_dir: The documents folder; defaults to settings.documents_dir.

    Returns:
        (path, content type, download name). Serve it as an attachment with ``nosniff`` and
        ``Content-Security-Policy: sandbox``; the name is safe but still needs RFC 6266 encoding.

    Raises:
        NotFound: Not this user's document, or the file is missing.
    """
    row = await get_owned_document(session=session, user_id=user_id, document_id=document_id)
    path = _storage_dir(storage_dir) / row.storage_name
    if not storage.STORAGE_NAME.fullmatch(row.storage_name) or not path.is_file():
        raise NotFound("Documento no encontrado.")
    return path, row.content_type, _download_name(row)


async def open_document_for_operator(
    *, session, document_id: object, storage_dir: Path | None = None
) -> tuple[Path, str, str]:
    """Where any customer's document is, for an operator reviewing it (the route has checked the operator).

    Args:
        session: An open session.
        document_id: The document id as received.
        storage_dir: The documents folder; defaults to settings.documents_dir.

    Returns:
        (path, content type, download name), served like open_document_for_user's.

    Raises:
        NotFound: No such document, or the file is missing.
    """
    if not isinstance(document_id, str) or not _DOCUMENT_ID.fullmatch(document_id):
        raise NotFound("Documento no encontrado.")
    row = await session.get(Document, document_id)
    if row is None or not storage.STORAGE_NAME.fullmatch(row.storage_name):
        raise NotFound("Documento no encontrado.")
    path = _storage_dir(storage_dir) / row.storage_name
    if not path.is_file():
        raise NotFound("Documento no encontrado.")
    return path, row.content_type, _download_name(row)


def _download_name(row: Document) -> str:
    ext = row.storage_name.rsplit(".", 1)[-1]
    stem = row.original_name.rsplit(".", 1)[0] if "." in row.original_name else row.original_name
    # Images were re-encoded to JPEG: the stored extension is the true one, the client's may not be.
    stem = re.sub(r'["\\;/\s]+', "_", stem).strip("_.-") or _KIND_LABELS.get(row.kind, "documento")
    return f"{stem[:100]}.{ext}"


async def sweep_orphans(
    *, session, storage_dir: Path | None = None, older_than: timedelta = timedelta(hours=1), now: datetime | None = None
) -> int:
    """Delete stored files that no Document row names, and stale temp files, older than older_than.

    Files younger than older_than are kept: their upload may still be about to commit its row.

    Args:
        session: An open session (read only).
        storage_dir: The documents folder; defaults to settings.documents_dir.
        older_than: Minimum age of a file to delete.
        now: Aware UTC time (tests); defaults to the clock.

    Returns:
        How many files were deleted.
    """
    folder = _storage_dir(storage_dir)
    moment = (now or utcnow()) - older_than
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    cutoff = moment.timestamp()
    names, temps = await asyncio.to_thread(storage.list_stored, folder, older_than_epoch=cutoff)
    known: set[str] = set()
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        known.update((await session.exec(select(Document.storage_name).where(Document.storage_name.in_(chunk)))).all())
    doomed = [folder / name for name in names if name not in known] + temps

    def _delete() -> int:
        return sum(storage.remove_quietly(path) for path in doomed)

    return await asyncio.to_thread(_delete)


# --- signed, short-lived download links -----------------------------------------------------------


def _link_key() -> bytes:
    # A key of its own, derived from the secret, so a MAC made for one purpose never verifies for another.
    return hmac.new(get_settings().secret_key.encode(), b"autogestion/download-link/v1", hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_link(
    kind: str, object_id: str, user_id: int, ttl_s: int = DEFAULT_LINK_TTL_S, *, now: float | None = None
) -> str:
    """A URL-safe token letting user_id fetch one document or invoice PDF for ttl_s seconds.

    Args:
        kind: "doc" or "invoice" (for a customer), "opdoc" (a document, for an operator).
        object_id: The document or invoice id.
        user_id: Who may use it, a user id or for "opdoc" an operator id (the route must also check the
            live session of that kind is this one).
        ttl_s: Lifetime in seconds.
        now: POSIX time (tests).

    Returns:
        The token.
    """
    if kind not in LINK_KINDS or not _LINK_OBJECT_ID.fullmatch(object_id) or isinstance(user_id, bool):
        raise ValueError("invalid link subject")
    expires = int((now if now is not None else time.time()) + ttl_s)
    payload = f"{kind}:{object_id}:{int(user_id)}:{expires}".encode("ascii")
    mac = hmac.new(_link_key(), payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def verify_link(token: object, *, now: float | None = None) -> tuple[str, str, int]:
    """Check a token made by sign_link.

    Args:
        token: The token as received.
        now: POSIX time (tests).

    Returns:
        (kind, object_id, user_id).

    Raises:
        AuthError: The token is malformed, tampered with or expired.
    """
    invalid = AuthError("El enlace venció o no es válido. Volvé a abrirlo desde el portal.")
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_CHARS or token.count(".") != 1:
        raise invalid
    payload_b64, mac_b64 = token.split(".")
    try:
        payload = _unb64(payload_b64)
        mac = _unb64(mac_b64)
    except (ValueError, TypeError):
        raise invalid from None
    if not hmac.compare_digest(mac, hmac.new(_link_key(), payload, hashlib.sha256).digest()):
        raise invalid
    try:
        kind, object_id, user_id, expires = payload.decode("ascii").split(":")
        user, expiry = int(user_id), int(expires)
    except ValueError:
        raise invalid from None
    if kind not in LINK_KINDS or (now if now is not None else time.time()) >= expiry:
        raise invalid
    return kind, object_id, user


async def set_profile_dni(*, session, user_id: int, document_id: object, now: datetime | None = None) -> DocumentPublic:
    """Make a DNI photo of the user's the one on file, back to "en análisis" for an operator.

    The user has one DNI photo: the newest. So the photo it replaces is replaced too in every link still
    pending validation that carried it (an operator reviews the new one there). A validated link keeps
    the photo its operator saw; a rejected link is closed. Used by Mi Perfil (a new photo, required after
    NO LEGIBLE) and by Asociar Suministro (a replacement uploaded there).

    Args:
        session: An open session; the caller commits.
        user_id: The owner.
        document_id: A DNI photo of this user's.

    Returns:
        The document now on file.

    Raises:
        NotFound: Not a DNI photo of this user, or no such account.
    """
    row = await get_owned_document(session=session, user_id=user_id, document_id=document_id, kind=DocumentKind.DNI)
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("No encontramos la cuenta.")
    now = now or utcnow()
    previous = user.dni_document_id
    if previous and previous != row.id:
        await review.withdraw_document(session=session, document_id=previous)
        await session.exec(
            update(SupplyLink)
            .where(
                SupplyLink.user_id == user_id,
                SupplyLink.dni_document_id == previous,
                SupplyLink.status == LinkStatus.PENDING,
            )
            .values(dni_document_id=row.id)
            .execution_options(synchronize_session="fetch")
        )
    user.dni_document_id = row.id
    user.dni_status = DniStatus.IN_REVIEW
    session.add(user)
    await review.enqueue_document(session=session, document=row, now=now)
    return to_public(row)


async def upload_profile_dni(
    *, session, user_id: int, data: bytes, filename: str, storage_dir: Path | None = None, now: datetime | None = None
) -> DocumentPublic:
    """Mi Perfil's "Cargar foto nueva del DNI": store the photo and make it the one on file (set_profile_dni).

    Args:
        session: An open session; the caller commits.
        user_id: The uploader.
        data: The uploaded bytes.
        filename: The client's file name (display only).
        storage_dir: The private documents folder; defaults to settings.documents_dir.
        now: Aware UTC time (tests); defaults to the clock.

    Returns:
        The stored document, now the profile's photo ("En análisis").

    Raises:
        ValidationError: The file was refused (the message says why).
        RateLimited: Too many uploads today.
        NotFound: No such account.
    """
    stored = await store_upload(
        session=session,
        user_id=user_id,
        kind=DocumentKind.DNI,
        data=data,
        filename=filename,
        storage_dir=storage_dir,
        now=now,
    )
    return await set_profile_dni(session=session, user_id=user_id, document_id=stored.id, now=now)
