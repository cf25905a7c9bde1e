"""Uploaded documents (DNI photos, poderes): content checks, re-encoding, PDF screening, private atomic storage."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import tempfile
import unicodedata
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from autogestion.services.errors import ValidationError

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# About 40 MP: far above any phone camera's DNI photo, far below what would exhaust memory when decoded.
MAX_IMAGE_PIXELS = 40_000_000
# A legible DNI front needs at least this many pixels, in either orientation.
MIN_LONG_SIDE = 600
MIN_SHORT_SIDE = 400
# Stored photos are scaled down to this: enough to read a DNI, and it bounds disk use and re-encode time.
MAX_STORED_SIDE = 3000
JPEG_QUALITY = 90
MAX_PDF_PAGES = 50
# Walking more objects than this is not a document a customer scanned; refuse rather than spend the CPU.
MAX_PDF_OBJECTS = 100_000
MAX_NAME_CHARS = 255

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PDF_MAGIC = b"%PDF-"

KIND_DNI = "dni"
KIND_PODER = "poder"
KINDS = (KIND_DNI, KIND_PODER)

# Pillow refuses (DecompressionBombError) at twice this and warns at once this; the warning is made an error
# below, and check_and_normalize checks the size explicitly as well, so neither threshold lets a bomb decode.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)

# PDF names that run code, open other programs or smuggle files in (OWASP file upload guidance).
FORBIDDEN_PDF_NAMES = frozenset(
    {"JavaScript", "JS", "Launch", "EmbeddedFile", "EmbeddedFiles", "OpenAction", "AA", "RichMedia", "XFA"}
)
_PDF_DELIMITERS = rb"\x00\t\n\f\r ()<>\[\]{}/%"
_LONG_NAMES_RAW = re.compile(rb"/(?:JavaScript|Launch|EmbeddedFiles?|RichMedia|XFA)(?=[" + _PDF_DELIMITERS + rb"]|$)")
# /OpenAction with a destination array ("open at page 1", which fpdf2, Word and scanners write) is harmless;
# an inline action dictionary is not. Indirect values are judged by the object walk.
_OPEN_ACTION_DICT_RAW = re.compile(rb"/OpenAction\s*<<")
_SHORT_NAMES_RAW = re.compile(rb"/(?:JS|AA)(?=[" + _PDF_DELIMITERS + rb"]|$)")
_ESCAPED_NAME_RAW = re.compile(rb"/[^" + _PDF_DELIMITERS + rb"]*#[0-9A-Fa-f]{2}[^" + _PDF_DELIMITERS + rb"]*")
_STREAM_START = re.compile(rb"stream\r?\n")
# Bidi embeddings/overrides/isolates (U+202A–U+202E, U+2066–U+2069) are category Cf and go with the rest.
_NAME_DROP_CATEGORIES = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed every check, ready to store."""

    kind: str
    data: bytes
    content_type: str
    ext: str
    original_name: str
    sha256: str

    @property
    def size(self) -> int:
        """Size in bytes of what will be stored."""
        return len(self.data)


def sanitize_filename(name: object) -> str:
    """Make a client-supplied file name safe to keep in the database and show to operators.

    Only the last path component survives; control, format (bidi overrides, zero-width) and unassigned
    characters go; the result is NFC, at most 255 characters (keeping the extension), never empty.

    Args:
        name: What the browser sent (any type: websocket arguments are untrusted).

    Returns:
        The cleaned name, "archivo" when nothing is left.
    """
    text = name if isinstance(name, str) else ""
    text = unicodedata.normalize("NFC", text)
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _NAME_DROP_CATEGORIES)
    text = text.strip().lstrip(".").strip()
    if not text:
        return "archivo"
    if len(text) > MAX_NAME_CHARS:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            text = stem[: MAX_NAME_CHARS - len(ext) - 1] + "." + ext
        else:
            text = text[:MAX_NAME_CHARS]
    return text


def sniff(data: bytes) -> str | None:
    """The type of data by its magic bytes: "jpeg", "png", "pdf" or None."""
    if data.startswith(JPEG_MAGIC):
        return "jpeg"
    if data.startswith(PNG_MAGIC):
        return "png"
    if data.startswith(PDF_MAGIC):
        return "pdf"
    return None


def check_and_normalize(kind: str, data: bytes, filename: str) -> CheckedFile:
    """Check an upload by content and return what may be stored (images re-encoded, PDFs screened).

    Runs Pillow and pypdf: call it through ``asyncio.to_thread`` from async code.

    Args:
        kind: "dni" (JPEG or PNG) or "poder" (PDF, JPEG or PNG).
        data: The uploaded bytes.
        filename: The client's file name; only sanitised and kept for display, never used for the type.

    Returns:
        The checked file.

    Raises:
        ValidationError: With the Spanish reason (field "dni" or "poder").
    """
    if kind not in KINDS:
        raise ValidationError("Tipo de documento desconocido.")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValidationError("No recibimos el archivo. Probá subirlo de nuevo.", field=kind)
    data = bytes(data)
    if not data:
        raise ValidationError("El archivo está vacío.", field=kind)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError("El archivo supera los 10 MB. Subí uno más liviano.", field=kind)
    detected = sniff(data)
    original = sanitize_filename(filename)
    if kind == KIND_DNI and detected not in ("jpeg", "png"):
        raise ValidationError("La foto del DNI tiene que ser una imagen JPEG o PNG.", field=kind)
    if detected is None:
        raise ValidationError("El poder tiene que ser un PDF o una imagen JPEG o PNG.", field=kind)
    if detected == "pdf":
        _check_pdf(data)
        out, content_type, ext = data, "application/pdf", "pdf"
    else:
        out, content_type, ext = _normalize_image(kind, data), "image/jpeg", "jpg"
    return CheckedFile(
        kind=kind,
        data=out,
        content_type=content_type,
        ext=ext,
        original_name=original,
        sha256=hashlib.sha256(out).hexdigest(),
    )


# --- images ---------------------------------------------------------------------------------------


def _normalize_image(kind: str, data: bytes) -> bytes:
    unreadable = ValidationError("No pudimos leer la imagen: está dañada o no es una foto válida.", field=kind)
    try:
        # formats=: only these two decoders ever see customer bytes (no EPS/PSD/TIFF/FITS parsers).
        image = Image.open(io.BytesIO(data), formats=["JPEG", "PNG"])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_big(kind) from None
    except (OSError, ValueError, SyntaxError, Image.UnidentifiedImageError):
        raise unreadable from None
    with image:
        # Image.open reads only the header: refuse on declared size before a single pixel is decoded.
        width, height = image.size
        if width <= 0 or height <= 0 or width * height > MAX_IMAGE_PIXELS:
            raise _too_big(kind)
        if max(width, height) < MIN_LONG_SIDE or min(width, height) < MIN_SHORT_SIDE:
            raise _too_small(kind)
        try:
            if image.format == "JPEG":
                # Let libjpeg decode at a reduced scale when the photo is far larger than what we keep.
                image.draft("RGB", (MAX_STORED_SIDE, MAX_STORED_SIDE))
            image.load()
            upright = ImageOps.exif_transpose(image)
            rgb = _to_rgb(upright)
            rgb.thumbnail((MAX_STORED_SIDE, MAX_STORED_SIDE), Image.Resampling.LANCZOS)
            # JPEG save falls back to im.info for the comment (and other metadata): start from nothing.
            rgb.info = {}
            out = io.BytesIO()
            # A fresh JPEG from pixels only: EXIF (GPS), comments, ICC, trailing bytes and polyglot payloads
            # are not carried over.
            rgb.save(out, format="JPEG", quality=JPEG_QUALITY)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_big(kind) from None
        except (OSError, ValueError, SyntaxError, EOFError, MemoryError):
            raise unreadable from None
    return out.getvalue()


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        # Transparent areas become white, as on paper, instead of the black a plain convert gives.
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale PNGs: scale to 8 bits first, a plain convert("RGB") clips them to white.
        return image.point(lambda value: value / 256).convert("L").convert("RGB")
    return image.convert("RGB")


def _too_big(kind: str) -> ValidationError:
    return ValidationError("La imagen tiene demasiados píxeles. Subí una foto de menos de 40 megapíxeles.", field=kind)


def _too_small(kind: str) -> ValidationError:
    if kind == KIND_DNI:
        return ValidationError(
            "La foto es muy chica para leer el DNI: tiene que medir al menos 600 × 400 píxeles.", field=kind
        )
    return ValidationError(
        "La imagen es muy chica para leer el poder: tiene que medir al menos 600 × 400 píxeles.", field=kind
    )


# --- PDFs -----------------------------------------------------------------------------------------


def _check_pdf(data: bytes) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    field = KIND_PODER
    forbidden = ValidationError(
        "El PDF tiene contenido activo (JavaScript, acciones automáticas o archivos adjuntos). "
        "Imprimilo a PDF o escanealo de nuevo y volvé a subirlo.",
        field=field,
    )
    # Raw scan first: a name hidden where pypdf's parser does not look is still seen by some viewer.
    if _raw_has_forbidden_name(data):
        raise forbidden
    unreadable = ValidationError("No pudimos leer el PDF: está dañado o incompleto.", field=field)
    if b"%%EOF" not in data[-2048:]:
        # A cut upload: pypdf could rebuild parts of it, but what the operator sees would not be the document.
        raise unreadable
    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        if reader.is_encrypted:
            raise ValidationError("El PDF está protegido con contraseña. Subí una copia sin contraseña.", field=field)
        pages = len(reader.pages)
        if pages < 1:
            raise unreadable
        if pages > MAX_PDF_PAGES:
            raise ValidationError(f"El PDF tiene {pages} páginas; el máximo es {MAX_PDF_PAGES}.", field=field)
        seen: set[tuple[int, int]] = set()
        stack: list[object] = [reader.trailer]
        # Also every object in the cross-reference table, reachable or not (including object streams).
        for generation, table in reader.xref.items():
            stack.extend(IndirectObject(idnum, generation, reader) for idnum in table)
        stack.extend(IndirectObject(idnum, 0, reader) for idnum in reader.xref_objStm)
        if len(stack) > MAX_PDF_OBJECTS:
            raise unreadable
        visited = 0
        while stack:
            node = stack.pop()
            if isinstance(node, IndirectObject):
                key = (node.idnum, node.generation)
                if key in seen:
                    continue
                seen.add(key)
                node = reader.get_object(node)
                if node is None:
                    continue
            visited += 1
            if visited > MAX_PDF_OBJECTS * 10:
                raise unreadable
            if isinstance(node, DictionaryObject):  # StreamObject too; stream data is never decoded here
                for name, value in node.items():
                    if name == "/OpenAction":
                        target = value.get_object() if isinstance(value, IndirectObject) else value
                        if not isinstance(target, ArrayObject):
                            raise forbidden  # an action, not a plain "open at this page" destination
                    elif str(name).lstrip("/") in FORBIDDEN_PDF_NAMES:
                        raise forbidden
                    stack.append(value)
            elif isinstance(node, ArrayObject):
                stack.extend(node)
            elif isinstance(node, NameObject) and str(node).lstrip("/") in FORBIDDEN_PDF_NAMES:
                raise forbidden  # e.g. /S /JavaScript, /S /Launch, /Type /EmbeddedFile
    except ValidationError:
        raise
    except (
        PdfReadError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        OSError,
        RecursionError,
        AssertionError,
    ):
        raise unreadable from None
    except Exception:  # noqa: BLE001 (pypdf raises many kinds on hostile input; all mean "not a readable PDF")
        log.warning("pypdf failed on an upload", exc_info=True)
        raise unreadable from None


def _outside_streams(data: bytes) -> bytes:
    """data without the bodies of its streams (linear: a regex with .*? is quadratic on unclosed streams)."""
    parts: list[bytes] = []
    pos = 0
    while True:
        start = _STREAM_START.search(data, pos)
        if start is None:
            parts.append(data[pos:])
            break
        parts.append(data[pos : start.start()])
        end = data.find(b"endstream", start.end())
        if end < 0:
            parts.append(data[start.end() :])  # unclosed: scan the rest rather than trust it
            break
        parts.append(b" ")
        pos = end + len(b"endstream")
    return b"".join(parts)


def _raw_has_forbidden_name(data: bytes) -> bool:
    if _LONG_NAMES_RAW.search(data) or _OPEN_ACTION_DICT_RAW.search(data):
        return True
    # Two-letter names could occur by chance inside compressed binary streams: look for them outside those.
    outside_streams = _outside_streams(data)
    if _SHORT_NAMES_RAW.search(outside_streams):
        return True
    # "/J#61vaScript" is the same name as "/JavaScript" (PDF 1.2+ hex escapes).
    for match in _ESCAPED_NAME_RAW.finditer(outside_streams):
        decoded = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), match.group()[1:])
        if decoded.decode("latin-1") in FORBIDDEN_PDF_NAMES:
            return True
    return False


# --- storage --------------------------------------------------------------------------------------

STORAGE_NAME = re.compile(r"[0-9a-f]{32}\.(?:jpg|pdf)")
TEMP_PREFIX = ".upload-"


def ensure_storage_dir(storage_dir: Path) -> Path:
    """Create the private documents folder (mode 0700) if needed and return it."""
    storage_dir = Path(storage_dir)
    storage_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkdir's mode is filtered by the umask, and an existing folder keeps whatever it had.
    os.chmod(storage_dir, 0o700)
    return storage_dir


def new_storage_name(ext: str) -> str:
    """A random file name "<uuid4 hex>.<ext>"; the client's name never reaches the file system."""
    return f"{uuid.uuid4().hex}.{ext}"


def write_atomic(storage_dir: Path, name: str, data: bytes) -> Path:
    """Write data to storage_dir/name so it is either absent or complete, even across a crash.

    Temp file in the same folder (mode 0600), fsync, os.replace, fsync of the folder.

    Args:
        storage_dir: The documents folder.
        name: A name made by new_storage_name.
        data: The bytes.

    Returns:
        The final path.
    """
    if not STORAGE_NAME.fullmatch(name):
        raise ValueError("storage names are made by new_storage_name")
    folder = ensure_storage_dir(storage_dir)
    final = folder / name
    fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=folder)  # mkstemp creates the file 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o600)
        os.replace(temp, final)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(folder)
    return final


def _fsync_dir(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def list_stored(storage_dir: Path, *, older_than_epoch: float) -> tuple[list[str], list[Path]]:
    """Files of the documents folder last modified before a time.

    Args:
        storage_dir: The documents folder.
        older_than_epoch: POSIX timestamp; newer files are left alone (an upload may be committing).

    Returns:
        Names of stored documents, and paths of leftover temp files.
    """
    folder = Path(storage_dir)
    if not folder.is_dir():
        return [], []
    names: list[str] = []
    temps: list[Path] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if not entry.is_file(follow_symlinks=False):
                continue
            try:
                if entry.stat(follow_symlinks=False).st_mtime >= older_than_epoch:
                    continue
            except FileNotFoundError:
                continue
            if STORAGE_NAME.fullmatch(entry.name):
                names.append(entry.name)
            elif entry.name.startswith(TEMP_PREFIX):
                temps.append(Path(entry.path))
    return names, temps


def remove_quietly(path: Path) -> bool:
    """Delete a file; False when it was already gone."""
    try:
        os.unlink(path)
        return True
    except FileNotFoundError:
        return False
