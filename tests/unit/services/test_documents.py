"""Document service: stored uploads, owner-only access, orphan sweeping and signed short-lived links."""

from __future__ import annotations

import io
import os
import time
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image
from sqlmodel import select

from autogestion.adapters import documents as storage
from autogestion.models import Document, User, UserStatus
from autogestion.services import documents
from autogestion.services.documents import (
    get_reusable_dni,
    open_document_for_user,
    sign_link,
    store_upload,
    sweep_orphans,
    verify_link,
)
from autogestion.services.errors import AuthError, NotFound, RateLimited, ValidationError

NOW = datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc)


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
        session=session, user_id=owner.id, kind="dni", data=jpeg_bytes(), filename="../../mi dni.png", storage_dir=folder, now=NOW
    )
    await session.commit()

    row = await session.get(Document, doc.id)
    assert (doc.kind, doc.content_type, doc.original_name, doc.status_label) == ("dni", "image/jpeg", "mi dni.png", "En análisis")
    assert row.storage_name.endswith(".jpg") and row.storage_name != doc.original_name
    assert (folder / row.storage_name).read_bytes()[:3] == storage.JPEG_MAGIC
    assert os.listdir(folder) == [row.storage_name]
    assert row.size == (folder / row.storage_name).stat().st_size


async def test_a_refused_upload_stores_nothing(session, users, tmp_path):
    owner, _ = users
    folder = tmp_path / "documents"
    with pytest.raises(ValidationError):
        await store_upload(
            session=session, user_id=owner.id, kind="dni", data=b"%PDF-1.4 fake", filename="x.jpg", storage_dir=folder, now=NOW
        )
    await session.rollback()
    assert (await session.exec(select(Document))).all() == []
    assert not folder.exists() or os.listdir(folder) == []


async def test_uploads_per_day_are_limited(session, users, tmp_path):
    owner, other = users
    for _ in range(documents.MAX_UPLOADS_PER_DAY):
        await store_upload(session=session, user_id=owner.id, kind="dni", data=jpeg_bytes(), filename="a.jpg",
                           storage_dir=tmp_path, now=NOW)
    with pytest.raises(RateLimited):
        await store_upload(session=session, user_id=owner.id, kind="dni", data=jpeg_bytes(), filename="a.jpg",
                           storage_dir=tmp_path, now=NOW)
    await store_upload(session=session, user_id=other.id, kind="dni", data=jpeg_bytes(), filename="a.jpg",
                       storage_dir=tmp_path, now=NOW)
    await store_upload(session=session, user_id=owner.id, kind="dni", data=jpeg_bytes(), filename="a.jpg",
                       storage_dir=tmp_path, now=NOW + timedelta(hours=24, seconds=1))


async def test_only_the_owner_opens_a_document(session, users, tmp_path):
    owner, other = users
    doc = await store_upload(session=session, user_id=owner.id, kind="dni", data=jpeg_bytes(), filename='a";b.png',
                             storage_dir=tmp_path, now=NOW)
    await session.commit()

    path, content_type, name = await open_document_for_user(
        session=session, user_id=owner.id, document_id=doc.id, storage_dir=tmp_path
    )
    assert path.parent == tmp_path and content_type == "image/jpeg"
    assert name == "a_b.jpg"  # the true extension, nothing that breaks a Content-Disposition header
    for user_id, document_id in [(other.id, doc.id), (owner.id, "0" * 32), (owner.id, "../" + doc.id), (owner.id, None)]:
        with pytest.raises(NotFound):
            await open_document_for_user(session=session, user_id=user_id, document_id=document_id, storage_dir=tmp_path)


async def test_a_missing_file_is_not_found(session, users, tmp_path):
    owner, _ = users
    doc = await store_upload(session=session, user_id=owner.id, kind="dni", data=jpeg_bytes(), filename="a.jpg",
                             storage_dir=tmp_path, now=NOW)
    row = await session.get(Document, doc.id)
    (tmp_path / row.storage_name).unlink()
    with pytest.raises(NotFound):
        await open_document_for_user(session=session, user_id=owner.id, document_id=doc.id, storage_dir=tmp_path)


async def test_reusable_dni(session, users, tmp_path):
    owner, _ = users
    assert await get_reusable_dni(session=session, user_id=owner.id) is None
    doc = await store_upload(session=session, user_id=owner.id, kind="dni", data=jpeg_bytes(), filename="a.jpg",
                             storage_dir=tmp_path, now=NOW)
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
    kept = await store_upload(session=session, user_id=owner.id, kind="dni", data=jpeg_bytes(), filename="a.jpg",
                              storage_dir=tmp_path, now=NOW)
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


@pytest.mark.parametrize(("kind", "object_id", "user_id"), [("user", "a", 1), ("doc", "../x", 1), ("doc", "a:b", 1), ("doc", "a", True)])
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
    a = await accounts.create_active_user(session, doc_type="DNI", doc_number="30123456", password="Clave.Segura42",
                                          first_names="Ana", last_names="Gómez", email="ana@example.com", area="264",
                                          number="4123456", now=now)
    b = await accounts.create_active_user(session, doc_type="DNI", doc_number="30999888", password="Clave.Segura42",
                                          first_names="Beto", last_names="Ruiz", email="beto@example.com", area="264",
                                          number="4999888", now=now)
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
