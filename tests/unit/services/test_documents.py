"""Document service: stored uploads, owner-only access, orphan sweeping and signed short-lived links."""

from __future__ import annotations

import io
import os
import time
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlmodel import select

from autogestion.adapters import documents as storage
from autogestion.models import (
    DniStatus,
    Document,
    DocumentStatus,
    LinkStatus,
    Supply,
    SupplyLink,
    User,
    UserStatus,
)
from autogestion.services import documents
from autogestion.services.documents import (
    dni_for_link,
    get_reusable_dni,
    open_document_for_user,
    set_profile_dni,
    sign_link,
    store_upload,
    sweep_orphans,
    upload_profile_dni,
    verify_link,
)
from autogestion.services.errors import AuthError, NotFound, RateLimited, ValidationError

NOW = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (90, 90, 90)).save(out, format="JPEG")
    return out.getvalue()


async def make_user(session, doc_number: str) -> User:
    user = User(doc_type="DNI", doc_number=doc_number, password_hash="x", status=UserStatus.ACTIVE, created_at=NOW)
    session.add(user)
    await session.commit()
    return user


@pytest.fixture
async def users(session):
    return await make_user(session, "20123456"), await make_user(session, "27345678")


async def test_store_upload_writes_the_file_then_the_row(session, users, tmp_path):
    owner, _ = users
    folder = tmp_path / "documents"

    doc = await store_upload(
        session=session,
        user_id=owner.id,
        kind="dni",
        data=jpeg_bytes(),
        filename="../../mi dni.png",
        storage_dir=folder,
        now=NOW,
    )
    await session.commit()

    row = await session.get(Document, doc.id)
    assert (doc.kind, doc.content_type, doc.original_name, doc.status_label) == (
        "dni",
        "image/jpeg",
        "mi dni.png",
        "En análisis",
    )
    assert row.storage_name.endswith(".jpg") and row.storage_name != doc.original_name
    assert (folder / row.storage_name).read_bytes()[:3] == storage.JPEG_MAGIC
    assert os.listdir(folder) == [row.storage_name]
    assert row.size == (folder / row.storage_name).stat().st_size


async def test_a_refused_upload_stores_nothing(session, users, tmp_path):
    owner, _ = users
    folder = tmp_path / "documents"
    with pytest.raises(ValidationError):
        await store_upload(
            session=session,
            user_id=owner.id,
            kind="dni",
            data=b"%PDF-1.4 fake",
            filename="x.jpg",
            storage_dir=folder,
            now=NOW,
        )
    await session.rollback()
    assert (await session.exec(select(Document))).all() == []
    assert not folder.exists() or os.listdir(folder) == []


async def test_uploads_per_day_are_limited(session, users, tmp_path):
    owner, other = users
    for _ in range(documents.MAX_UPLOADS_PER_DAY):
        await store_upload(
            session=session,
            user_id=owner.id,
            kind="dni",
            data=jpeg_bytes(),
            filename="a.jpg",
            storage_dir=tmp_path,
            now=NOW,
        )
    with pytest.raises(RateLimited):
        await store_upload(
            session=session,
            user_id=owner.id,
            kind="dni",
            data=jpeg_bytes(),
            filename="a.jpg",
            storage_dir=tmp_path,
            now=NOW,
        )
    await store_upload(
        session=session,
        user_id=other.id,
        kind="dni",
        data=jpeg_bytes(),
        filename="a.jpg",
        storage_dir=tmp_path,
        now=NOW,
    )
    await store_upload(
        session=session,
        user_id=owner.id,
        kind="dni",
        data=jpeg_bytes(),
        filename="a.jpg",
        storage_dir=tmp_path,
        now=NOW + timedelta(hours=24, seconds=1),
    )


async def test_only_the_owner_opens_a_document(session, users, tmp_path):
    owner, other = users
    doc = await store_upload(
        session=session,
        user_id=owner.id,
        kind="dni",
        data=jpeg_bytes(),
        filename='a";b.png',
        storage_dir=tmp_path,
        now=NOW,
    )
    await session.commit()

    path, content_type, name = await open_document_for_user(
        session=session, user_id=owner.id, document_id=doc.id, storage_dir=tmp_path
    )
    assert path.parent == tmp_path and content_type == "image/jpeg"
    assert name == "a_b.jpg"  # the true extension, nothing that breaks a Content-Disposition header
    for user_id, document_id in [
        (other.id, doc.id),
        (owner.id, "0" * 32),
        (owner.id, "../" + doc.id),
        (owner.id, None),
    ]:
        with pytest.raises(NotFound):
            await open_document_for_user(
                session=session, user_id=user_id, document_id=document_id, storage_dir=tmp_path
            )


async def test_a_missing_file_is_not_found(session, users, tmp_path):
    owner, _ = users
    doc = await store_upload(
        session=session,
        user_id=owner.id,
        kind="dni",
        data=jpeg_bytes(),
        filename="a.jpg",
        storage_dir=tmp_path,
        now=NOW,
    )
    row = await session.get(Document, doc.id)
    (tmp_path / row.storage_name).unlink()
    with pytest.raises(NotFound):
        await open_document_for_user(session=session, user_id=owner.id, document_id=doc.id, storage_dir=tmp_path)


async def test_reusable_dni(session, users, tmp_path):
    owner, _ = users
    assert await get_reusable_dni(session=session, user_id=owner.id) is None
    doc = await store_upload(
        session=session,
        user_id=owner.id,
        kind="dni",
        data=jpeg_bytes(),
        filename="a.jpg",
        storage_dir=tmp_path,
        now=NOW,
    )
    owner.dni_document_id = doc.id
    owner.dni_status = "en_analisis"
    session.add(owner)
    await session.commit()
    assert (await get_reusable_dni(session=session, user_id=owner.id)).id == doc.id
    owner.dni_status = "no_legible"
    session.add(owner)
    await session.commit()
    assert await get_reusable_dni(session=session, user_id=owner.id) is None


async def test_sweep_orphans_removes_only_old_unreferenced_files(session, users, tmp_path):
    owner, _ = users
    tmp_path = tmp_path / "documents"  # apart from the SQLite file the fixture keeps in tmp_path
    kept = await store_upload(
        session=session,
        user_id=owner.id,
        kind="dni",
        data=jpeg_bytes(),
        filename="a.jpg",
        storage_dir=tmp_path,
        now=NOW,
    )
    await session.commit()
    kept_name = (await session.get(Document, kept.id)).storage_name
    old_orphan = storage.write_atomic(tmp_path, storage.new_storage_name("jpg"), b"orphan")
    young_orphan = storage.write_atomic(tmp_path, storage.new_storage_name("pdf"), b"young")
    stale_temp = tmp_path / (storage.TEMP_PREFIX + "abc")
    stale_temp.write_bytes(b"partial")
    two_hours_ago = time.time() - 7200
    for path in (tmp_path / kept_name, old_orphan, stale_temp):
        os.utime(path, (two_hours_ago, two_hours_ago))

    removed = await sweep_orphans(session=session, storage_dir=tmp_path)

    assert removed == 2
    assert sorted(os.listdir(tmp_path)) == sorted([kept_name, young_orphan.name])


async def test_sweep_of_a_missing_folder_does_nothing(session, tmp_path):
    assert await sweep_orphans(session=session, storage_dir=tmp_path / "nope") == 0


# --- signed links ----------------------------------------------------------------------------------


def test_signed_link_round_trip():
    token = sign_link("doc", "a" * 32, 7, now=1000)
    assert verify_link(token, now=1299) == ("doc", "a" * 32, 7)


@pytest.mark.parametrize("age", [300, 301, 10_000])
def test_expired_links_are_refused(age):
    token = sign_link("invoice", "b" * 32, 7, ttl_s=300, now=1000)
    with pytest.raises(AuthError):
        verify_link(token, now=1000 + age)


def test_tampered_links_are_refused():
    token = sign_link("doc", "a" * 32, 7, now=time.time())
    payload, mac = token.split(".")
    forged_payload = documents._b64(documents._unb64(payload).replace(b":7:", b":8:"))
    for bad in [
        forged_payload + "." + mac,
        payload + "." + mac[:-2] + ("AA" if mac[-2:] != "AA" else "BB"),
        payload,
        "",
        None,
        12,
        "a.b.c",
        "x" * 5000,
        "!!!." + mac,
    ]:
        with pytest.raises(AuthError):
            verify_link(bad)


def test_links_depend_on_the_secret_key(monkeypatch):
    from autogestion.config import get_settings

    token = sign_link("doc", "a" * 32, 7)
    monkeypatch.setenv("AUTOGESTION_SECRET_KEY", "another-secret-key-with-at-least-32-chars")
    get_settings.cache_clear()
    with pytest.raises(AuthError):
        verify_link(token)


@pytest.mark.parametrize(
    ("kind", "object_id", "user_id"), [("user", "a", 1), ("doc", "../x", 1), ("doc", "a:b", 1), ("doc", "a", True)]
)
def test_sign_link_refuses_bad_subjects(kind, object_id, user_id):
    with pytest.raises(ValueError):
        sign_link(kind, object_id, user_id)


async def test_set_profile_dni_replaces_a_rejected_photo(session):
    import io

    from PIL import Image

    from autogestion.clock import utcnow
    from autogestion.models import DniStatus, User
    from autogestion.services import accounts
    from autogestion.services.documents import get_reusable_dni, set_profile_dni, store_upload
    from autogestion.services.errors import NotFound

    now = utcnow()
    a = await accounts.create_active_user(
        session=session,
        doc_type="DNI",
        doc_number="30123456",
        password="Clave.Segura42",
        first_names="Ana",
        last_names="Gómez",
        email="ana@example.com",
        area="264",
        number="4123456",
        now=now,
    )
    b = await accounts.create_active_user(
        session=session,
        doc_type="DNI",
        doc_number="30999888",
        password="Clave.Segura42",
        first_names="Beto",
        last_names="Ruiz",
        email="beto@example.com",
        area="264",
        number="4999888",
        now=now,
    )
    buf = io.BytesIO()
    Image.new("RGB", (1200, 800), (90, 120, 200)).save(buf, "PNG")
    doc = await store_upload(session=session, user_id=a, kind="dni", data=buf.getvalue(), filename="dni.png")
    user = await session.get(User, a)
    user.dni_status = DniStatus.NOT_LEGIBLE
    assert await get_reusable_dni(session=session, user_id=a) is None
    with pytest.raises(NotFound):  # someone else's document
        await set_profile_dni(session=session, user_id=b, document_id=doc.id)
    await set_profile_dni(session=session, user_id=a, document_id=doc.id)
    assert user.dni_status == DniStatus.IN_REVIEW and user.dni_document_id == doc.id
    assert (await get_reusable_dni(session=session, user_id=a)).id == doc.id


# --- one DNI photo per customer --------------------------------------------------------------------


async def _store(session, user: User, kind: str, tmp_path) -> str:
    from tests.unit.services.supply_helpers import pdf_bytes

    data = jpeg_bytes() if kind == "dni" else pdf_bytes()
    return (
        await store_upload(
            session=session,
            user_id=user.id,
            kind=kind,
            data=data,
            filename=f"{kind}.jpg",
            storage_dir=tmp_path,
            now=NOW,
        )
    ).id


async def _links(session, user: User, photo: str) -> dict[str, SupplyLink]:
    """Three links of the user, one per status, all carrying photo."""
    links = {}
    for n, status in enumerate([LinkStatus.PENDING, LinkStatus.VALIDATED, LinkStatus.REJECTED]):
        session.add(Supply(number=f"90000000{n}"))
        links[status] = SupplyLink(
            user_id=user.id,
            supply_number=f"90000000{n}",
            is_holder=True,
            status=status,
            dni_document_id=photo,
            created_at=NOW,
        )
    session.add_all(links.values())
    await session.commit()
    return links


@pytest.mark.parametrize(
    ("kind", "status", "label"),
    [
        ("dni", DocumentStatus.IN_REVIEW, "En análisis"),
        ("dni", DocumentStatus.ACCEPTED, "LEGIBLE"),
        ("dni", DocumentStatus.REJECTED, "NO LEGIBLE"),
        ("poder", DocumentStatus.IN_REVIEW, "En análisis"),
        ("poder", DocumentStatus.ACCEPTED, "Válido"),
        ("poder", DocumentStatus.REJECTED, "Rechazado"),
    ],
)
def test_status_labels_are_the_manuals(kind, status, label):
    row = Document(
        id="a" * 32,
        user_id=1,
        kind=kind,
        storage_name="x.jpg",
        content_type="image/jpeg",
        size=1,
        sha256="0",
        status=status,
        created_at=NOW,
    )
    assert documents.to_public(row).status_label == label


async def test_a_new_profile_photo_replaces_the_old_one_in_pending_links(session, users, tmp_path):
    owner, _ = users
    old = await _store(session, owner, "dni", tmp_path)
    await set_profile_dni(session=session, user_id=owner.id, document_id=old)
    links = await _links(session, owner, old)

    new = await upload_profile_dni(
        session=session, user_id=owner.id, data=jpeg_bytes(), filename="nueva.jpg", storage_dir=tmp_path, now=NOW
    )
    await session.commit()

    for row in links.values():
        await session.refresh(row)
    await session.refresh(owner)
    assert (owner.dni_document_id, owner.dni_status) == (new.id, DniStatus.IN_REVIEW)
    assert links[LinkStatus.PENDING].dni_document_id == new.id
    # A validated link keeps the photo its operator saw; a rejected link is closed.
    assert links[LinkStatus.VALIDATED].dni_document_id == old
    assert links[LinkStatus.REJECTED].dni_document_id == old


async def test_another_users_links_are_never_touched(session, users, tmp_path):
    owner, other = users
    photo = await _store(session, owner, "dni", tmp_path)
    await set_profile_dni(session=session, user_id=owner.id, document_id=photo)
    foreign = await _links(session, other, photo)  # as if another user's link named the same id

    await upload_profile_dni(
        session=session, user_id=owner.id, data=jpeg_bytes(), filename="x.jpg", storage_dir=tmp_path, now=NOW
    )
    await session.commit()
    await session.refresh(foreign[LinkStatus.PENDING])
    assert foreign[LinkStatus.PENDING].dni_document_id == photo


async def test_dni_for_link_prefers_the_new_upload_then_the_reusable_photo(session, users, tmp_path):
    owner, other = users
    with pytest.raises(ValidationError) as error:
        await dni_for_link(session=session, user=owner, document_id=None)
    assert (error.value.field, error.value.message) == ("dni", "Subí una foto del frente de tu DNI.")

    on_file = await _store(session, owner, "dni", tmp_path)
    await set_profile_dni(session=session, user_id=owner.id, document_id=on_file)
    fresh = await _store(session, owner, "dni", tmp_path)
    assert (await dni_for_link(session=session, user=owner, document_id=None)).id == on_file
    assert (await dni_for_link(session=session, user=owner, document_id=fresh)).id == fresh
    for bad in [await _store(session, other, "dni", tmp_path), await _store(session, owner, "poder", tmp_path), "x", 7]:
        with pytest.raises(ValidationError):
            await dni_for_link(session=session, user=owner, document_id=bad)


async def test_a_rejected_document_is_not_reusable_whatever_the_account_says(session, users, tmp_path):
    owner, _ = users
    photo = await _store(session, owner, "dni", tmp_path)
    await set_profile_dni(session=session, user_id=owner.id, document_id=photo)
    row = await session.get(Document, photo)
    row.status = DocumentStatus.REJECTED
    await session.commit()

    assert owner.dni_status == DniStatus.IN_REVIEW
    assert await get_reusable_dni(session=session, user_id=owner.id) is None
    with pytest.raises(ValidationError):
        await dni_for_link(session=session, user=owner, document_id=None)
    with pytest.raises(ValidationError, match="rechazado"):
        await dni_for_link(session=session, user=owner, document_id=photo)
