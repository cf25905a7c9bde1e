"""Upload checks with real files of every bad kind, file-name sanitising and atomic private storage."""

from __future__ import annotations

import io
import os
import stat
import struct
import time
import warnings
import zlib

import pytest
from fpdf import FPDF
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from autogestion.adapters import documents
from autogestion.adapters.documents import MAX_UPLOAD_BYTES, check_and_normalize, sanitize_filename, write_atomic
from autogestion.services.errors import ValidationError

# --- real files ------------------------------------------------------------------------------------


def jpeg(width: int = 900, height: int = 600, **save) -> bytes:
    image = Image.new("RGB", (width, height), (200, 180, 150))
    for x in range(0, width, 50):  # some structure, so the JPEG is not trivially tiny
        image.paste((20, 40, 90), (x, 0, x + 10, height))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, **save)
    return out.getvalue()


def png(width: int = 900, height: int = 600, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), 128 if mode in ("L", "I;16") else (10, 120, 200, 255)[: len(mode)]).save(
        out, format="PNG"
    )
    return out.getvalue()


def pdf(pages: int = 1) -> bytes:
    doc = FPDF()
    doc.set_font("Helvetica", size=12)
    for number in range(pages):
        doc.add_page()
        doc.cell(text=f"Poder especial - pagina {number + 1}")
    return bytes(doc.output())


def pdf_with(mutate) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf())))
    mutate(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(side: int = 50_000) -> bytes:
    """A PNG declaring side×side 1-bit pixels with a small IDAT of compressed zeros (a few hundred KB)."""
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64 * 1024 * 1024, 9)
    return documents.PNG_MAGIC + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def exif_with_gps_and_script() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010E] = "<script>alert(1)</script>"  # ImageDescription
    exif[0x0131] = "<script>evil()</script>"  # Software
    exif[0x0112] = 1
    gps = {1: "S", 2: (31.0, 32.0, 15.0), 3: "W", 4: (68.0, 31.0, 40.0)}
    exif[0x8825] = gps
    return exif


def refused(kind: str, data: bytes, name: str = "archivo") -> str:
    with pytest.raises(ValidationError) as error:
        check_and_normalize(kind, data, name)
    return error.value.message


# --- accepted files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "data", "name", "content_type"),
    [
        ("dni", jpeg(), "dni.jpg", "image/jpeg"),
        ("dni", png(), "dni.png", "image/jpeg"),
        ("dni", png(mode="RGBA"), "dni.png", "image/jpeg"),
        ("dni", png(mode="L"), "dni.png", "image/jpeg"),
        ("dni", jpeg(400, 600), "vertical.jpg", "image/jpeg"),
        ("poder", pdf(), "poder.pdf", "application/pdf"),
        ("poder", pdf(50), "poder.pdf", "application/pdf"),
        ("poder", jpeg(), "poder.pdf", "image/jpeg"),  # a JPEG named .pdf: the content decides
        ("poder", pdf(), "poder.jpg", "application/pdf"),  # a PDF named .jpg is fine as a poder
    ],
    ids=["jpeg", "png", "png-alpha", "png-grey", "portrait", "pdf", "pdf-50-pages", "jpeg-named-pdf", "pdf-named-jpg"],
)
def test_accepted_uploads(kind, data, name, content_type):
    checked = check_and_normalize(kind, data, name)

    assert checked.content_type == content_type
    assert checked.ext == ("pdf" if content_type == "application/pdf" else "jpg")
    if content_type == "image/jpeg":
        assert checked.data.startswith(documents.JPEG_MAGIC)
        assert Image.open(io.BytesIO(checked.data)).format == "JPEG"
    else:
        assert checked.data == data
    assert checked.original_name == name
    assert len(checked.sha256) == 64


def test_exactly_10_mb_is_accepted_and_one_byte_more_is_refused():
    base = jpeg()
    padded = base + b"\x00" * (MAX_UPLOAD_BYTES - len(base))
    assert len(padded) == MAX_UPLOAD_BYTES

    assert check_and_normalize("dni", padded, "dni.jpg").content_type == "image/jpeg"
    assert "10 MB" in refused("dni", padded + b"\x00")
    assert "10 MB" in refused("poder", b"%PDF-1.4\n" + b"0" * MAX_UPLOAD_BYTES)


# --- refused files ---------------------------------------------------------------------------------

SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
GIF_JPEG_POLYGLOT = b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + jpeg()


@pytest.mark.parametrize(
    ("kind", "data", "name", "reason"),
    [
        ("dni", pdf(), "dni.jpg", "JPEG o PNG"),
        ("dni", b"", "dni.jpg", "vacío"),
        ("poder", b"", "poder.pdf", "vacío"),
        ("dni", SVG, "dni.jpg", "JPEG o PNG"),
        ("poder", SVG, "poder.svg", "PDF o una imagen"),
        ("dni", HTML, "dni.png", "JPEG o PNG"),
        ("poder", HTML, "poder.pdf", "PDF o una imagen"),
        ("dni", GIF_JPEG_POLYGLOT, "dni.jpg", "JPEG o PNG"),
        ("poder", b"PK\x03\x04" + b"\x00" * 100, "poder.pdf", "PDF o una imagen"),
        ("dni", jpeg(500, 300), "dni.jpg", "muy chica para leer el DNI"),
        ("dni", jpeg(599, 400), "dni.jpg", "muy chica para leer el DNI"),
        ("poder", jpeg(300, 300), "poder.jpg", "muy chica para leer el poder"),
        ("dni", jpeg()[:2000], "dni.jpg", "dañada"),
        ("dni", documents.JPEG_MAGIC + b"\x00" * 500, "dni.jpg", "dañada"),
        ("dni", documents.PNG_MAGIC + b"garbage", "dni.png", "dañada"),
    ],
    ids=[
        "pdf-renamed-jpg",
        "empty-dni",
        "empty-poder",
        "svg-as-dni",
        "svg-as-poder",
        "html-as-dni",
        "html-renamed-pdf",
        "gif-jpeg-polyglot",
        "zip",
        "too-small",
        "just-too-small",
        "poder-too-small",
        "truncated-jpeg",
        "fake-jpeg",
        "fake-png",
    ],
)
def test_refused_uploads(kind, data, name, reason):
    assert reason in refused(kind, data, name)


def test_unknown_kind_and_non_bytes_are_refused():
    refused("avatar", jpeg())
    refused("dni", "not bytes")  # type: ignore[arg-type]


def test_decompression_bomb_png_is_refused_before_decoding_in_under_100_ms():
    bomb = png_bomb()
    assert len(bomb) < 1_000_000

    started = time.perf_counter()
    message = refused("dni", bomb, "bomb.png")
    elapsed = time.perf_counter() - started

    assert "demasiados píxeles" in message
    assert elapsed < 0.1, f"took {elapsed * 1000:.0f} ms"


@pytest.mark.parametrize("action", ["error", "ignore"], ids=["warning-as-error", "explicit-size-check"])
def test_image_just_over_the_pixel_cap_is_refused(action):
    # pytest resets warning filters per test: apply the module's production setting, and its absence.
    warnings.filterwarnings(action, category=Image.DecompressionBombWarning)
    # 6326 × 6326 = 40,018,276 px: over our cap, far under Pillow's default limits.
    assert "demasiados píxeles" in refused("dni", png_bomb(side=6326), "big.png")


# --- neutralised files -----------------------------------------------------------------------------


def test_script_in_exif_and_comment_is_dropped_by_reencoding():
    data = jpeg(exif=exif_with_gps_and_script().tobytes(), comment=b"<script>alert('x')</script>")
    assert b"<script" in data

    out = check_and_normalize("dni", data, "dni.jpg").data

    assert b"<script" not in out
    assert b"alert" not in out


def test_exif_gps_is_removed():
    data = jpeg(exif=exif_with_gps_and_script().tobytes())
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)

    out = Image.open(io.BytesIO(check_and_normalize("dni", data, "dni.jpg").data))

    assert not out.getexif().get_ifd(0x8825)
    assert len(out.getexif()) == 0
    assert "exif" not in out.info


def test_exif_orientation_is_applied_before_exif_is_dropped():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    data = jpeg(900, 600, exif=exif.tobytes())

    out = Image.open(io.BytesIO(check_and_normalize("dni", data, "dni.jpg").data))

    assert out.size == (600, 900)


@pytest.mark.parametrize(
    "payload",
    [b"<?php system($_GET['c']); ?>", b"PK\x03\x04" + b"zip-central-directory" * 20, b"<html><script>x()</script>"],
    ids=["php", "zip", "html"],
)
def test_trailing_payloads_are_gone_after_reencoding(payload):
    out = check_and_normalize("dni", jpeg() + payload, "dni.jpg").data
    assert payload[:8] not in out


def test_large_photos_are_scaled_down():
    out = Image.open(io.BytesIO(check_and_normalize("dni", jpeg(6000, 4000), "dni.jpg").data))
    assert max(out.size) == documents.MAX_STORED_SIDE


# --- PDFs ------------------------------------------------------------------------------------------


def _encrypt(writer: PdfWriter) -> None:
    writer.encrypt("secreto")


def _open_action_js(writer: PdfWriter) -> None:
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('hola');")}
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)


def _launch(writer: PdfWriter) -> None:
    action = DictionaryObject({NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")})
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): writer._add_object(action)})


def _attachment(writer: PdfWriter) -> None:
    writer.add_attachment("virus.exe", b"MZ\x90\x00")


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (_encrypt, "protegido con contraseña"),
        (_open_action_js, "contenido activo"),
        (_launch, "contenido activo"),
        (_attachment, "contenido activo"),
    ],
    ids=["encrypted", "openaction-javascript", "launch", "embedded-file"],
)
def test_dangerous_pdfs_are_refused(mutate, reason):
    assert reason in refused("poder", pdf_with(mutate), "poder.pdf")


def test_pdf_action_hidden_behind_hex_escaped_names_is_refused():
    data = pdf()
    escaped = data.replace(
        b"/Type /Catalog", b"/Type /Catalog /Op#65nAction << /S /J#61vaScript /J#53 (app.alert(1)) >>", 1
    )
    assert escaped != data

    assert "contenido activo" in refused("poder", escaped, "poder.pdf")


def test_pdf_with_javascript_inside_a_compressed_object_stream_is_refused():
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf())))
    _open_action_js(writer)
    writer.compress_identical_objects()
    out = io.BytesIO()
    writer.write(out)
    assert "contenido activo" in refused("poder", out.getvalue(), "poder.pdf")


@pytest.mark.parametrize("cut", [0.5, 0.9, 0.99])
def test_truncated_pdf_is_refused(cut):
    data = pdf()
    assert "dañado o incompleto" in refused("poder", data[: int(len(data) * cut)], "poder.pdf")


def test_pdf_with_too_many_pages_is_refused():
    assert "51 páginas" in refused("poder", pdf(51), "poder.pdf")


def test_garbage_after_pdf_magic_is_refused():
    assert "dañado" in refused("poder", b"%PDF-1.7\n<html><script>x()</script></html>\n%%EOF\n", "poder.pdf")


# --- file names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("dni.jpg", "dni.jpg"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\win.ini", "win.ini"),
        ("/abs/path.jpg", "path.jpg"),
        ("a.php\x00.jpg", "a.php.jpg"),
        ("fdp\u202egpj.exe", "fdpgpj.exe"),
        ("\u2066doc\u2069.pdf", "doc.pdf"),
        ("línea\r\nnueva.jpg", "líneanueva.jpg"),
        ('a"b;c.jpg', 'a"b;c.jpg'),
        ("..", "archivo"),
        ("", "archivo"),
        (None, "archivo"),
        (123, "archivo"),
        ("../", "archivo"),
        ("-rf", "-rf"),
    ],
)
def test_sanitize_filename(raw, expected):
    assert sanitize_filename(raw) == expected


def test_a_5000_character_name_is_cut_to_255_keeping_the_extension():
    name = sanitize_filename("a" * 5000 + ".jpg")
    assert len(name) == 255
    assert name.endswith(".jpg")
    assert len(sanitize_filename("b" * 5000)) == 255


def test_the_checked_file_keeps_only_the_sanitised_name():
    checked = check_and_normalize("dni", jpeg(), "../../\u202e\x00" + "x" * 5000 + ".jpg")
    assert "/" not in checked.original_name
    assert "\u202e" not in checked.original_name and "\x00" not in checked.original_name
    assert len(checked.original_name) <= 255


# --- storage ---------------------------------------------------------------------------------------


def test_write_atomic_is_private_and_leaves_no_temp_files(tmp_path):
    folder = tmp_path / "documents"
    name = documents.new_storage_name("jpg")

    path = write_atomic(folder, name, b"data")

    assert path.read_bytes() == b"data"
    assert sorted(os.listdir(folder)) == [name]
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    folder = tmp_path / "documents"

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(documents.os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_atomic(folder, documents.new_storage_name("pdf"), b"data")

    assert os.listdir(folder) == []


@pytest.mark.parametrize("name", ["../x.jpg", "dni.jpg", "a" * 32 + ".php", "A" * 32 + ".jpg"])
def test_write_atomic_only_takes_generated_names(tmp_path, name):
    with pytest.raises(ValueError):
        write_atomic(tmp_path, name, b"data")


def test_a_pdf_full_of_unclosed_streams_is_screened_quickly():
    hostile = b"%PDF-1.7\n" + b"stream\n" * 1_000_000 + b"\n%%EOF\n"
    started = time.perf_counter()
    refused("poder", hostile, "poder.pdf")
    assert time.perf_counter() - started < 2
