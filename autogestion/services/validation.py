"""Input rules for registration, contact data and codes: pure functions that normalise or raise ValidationError."""

from __future__ import annotations

import re
import unicodedata
from types import MappingProxyType

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from autogestion.models import DOCUMENT_TYPES
from autogestion.services.errors import ValidationError

__all__ = [
    "DOC_TYPES",
    "EMAIL_MAX_LENGTH",
    "NAME_MAX_LENGTH",
    "normalize_code",
    "normalize_document",
    "normalize_email",
    "normalize_mobile",
    "normalize_name",
]

# --- documents ------------------------------------------------------------------------------------

DOC_TYPES: MappingProxyType[str, str] = MappingProxyType({code: short for code, (short, _) in DOCUMENT_TYPES.items()})
"""Allowed document types: code stored in the DB -> short label (models.DOCUMENT_TYPES is the source)."""

# (article + name used in messages, min digits, max digits); the passport is handled apart.
_NUMERIC_DOCS: dict[str, tuple[str, int, int]] = {
    "DNI": ("El DNI", 7, 8),
    "LE": ("La LE", 6, 8),
    "LC": ("La LC", 6, 8),
    "CI": ("La CI", 1, 9),
}
_DOC_MAX_INPUT = 40  # anything longer is not a document number; refuse before looking at it
_DIGITS = re.compile(r"[0-9]+")
# Dots or plain spaces are accepted only where thousands separators go: "30.123.456", "30 123 456".
_GROUPED_DIGITS = re.compile(r"[0-9]{1,3}(?:[. ][0-9]{3})+")
_CUIT_SHAPE = re.compile(r"[0-9]{2}[- ]?[0-9]{8}[- ]?[0-9]")
_PASSPORT = re.compile(r"[A-Za-z0-9]+")
_ASCII_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CUIT_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _doc_error(message: str) -> ValidationError:
    return ValidationError(message, field="doc_number")


def _is_invisible(ch: str) -> bool:
    """Whitespace other than a plain space, control and format characters (NBSP, U+200B, \\n, \\t...)."""
    return unicodedata.category(ch)[0] in ("C", "Z") and ch != " "


def _is_foreign_digit(ch: str) -> bool:
    """A digit that is not 0-9: Arabic-Indic, full-width, superscript... (int() and \\d accept many)."""
    return not ("0" <= ch <= "9") and (ch.isdigit() or unicodedata.decimal(ch, None) is not None)


def _reject_bad_document_chars(text: str, allowed: str, letters: str, symbols: str) -> None:
    """Raise a message that says which kind of character is wrong (the first one found).

    Args:
        text: the trimmed input.
        allowed: characters accepted besides 0-9.
        letters: the message for a letter that is not in ``allowed``.
        symbols: the message for any other visible character.
    """
    for ch in text:
        if ch in allowed or "0" <= ch <= "9":
            continue
        if _is_foreign_digit(ch):
            raise _doc_error("Escribí el número con los dígitos 0 a 9 del teclado común.")
        if _is_invisible(ch):
            raise _doc_error(
                "El número de documento tiene espacios especiales, saltos de línea o caracteres invisibles. "
                "Escribilo solo con números."
            )
        raise _doc_error(letters if ch.isalpha() else symbols)


def _cuit_check_digit(first_ten: str) -> int | None:
    """The mod-11 check digit of a CUIT/CUIL, or None when none is possible (remainder 1)."""
    total = sum(int(d) * w for d, w in zip(first_ten, _CUIT_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None  # AFIP never issues these; it changes the prefix (23/33) instead
    return check


def normalize_document(doc_type: str, raw: str) -> str:
    """Validate a document number and return its canonical form (the value stored and compared).

    Only ASCII digits count. Surrounding plain spaces are trimmed; dots or plain spaces used as
    thousands separators ("30.123.456") are removed; leading zeros of DNI/LE/LC/CI are dropped
    ("01234567" and "1234567" are the same DNI). CUIT/CUIL may carry dashes ("20-12345678-6") and must
    have a valid mod-11 check digit. Passports are 6-9 ASCII letters or digits, upper-cased.

    Args:
        doc_type: one of the keys of ``DOC_TYPES`` (exactly, e.g. "DNI", "PAS", "CUIT").
        raw: what the person typed.

    Returns:
        The normalised number: digits only, or the upper-cased passport.

    Raises:
        ValidationError: on field "doc_type" for an unknown type, else on "doc_number" with what is wrong.
    """
    if not isinstance(doc_type, str) or doc_type not in DOC_TYPES:
        raise ValidationError("Elegí un tipo de documento de la lista.", field="doc_type")
    if not isinstance(raw, str):
        raise _doc_error("Ingresá tu número de documento.")
    if len(raw) > _DOC_MAX_INPUT:
        raise _doc_error("El número de documento es demasiado largo.")
    text = raw.strip(" ")
    if not text:
        raise _doc_error("Ingresá tu número de documento.")

    if doc_type == "PAS":
        only = "El pasaporte lleva solo letras sin tilde y números, sin espacios ni símbolos."
        _reject_bad_document_chars(text, _ASCII_LETTERS, only, only)
        if not _PASSPORT.fullmatch(text):
            raise _doc_error(only)
        if not 6 <= len(text) <= 9:
            raise _doc_error("El pasaporte debe tener entre 6 y 9 letras o números.")
        if text.isdigit() and int(text) == 0:
            raise _doc_error("El número de pasaporte no es válido.")
        return text.upper()

    if doc_type == "CUIT":
        _reject_bad_document_chars(
            text,
            "- ",
            "El CUIT/CUIL lleva solo números, sin letras.",
            "El CUIT/CUIL lleva solo números; podés separarlos con guiones (20-12345678-6).",
        )
        digits = "".join(_DIGITS.findall(text))
        if len(digits) != 11:
            raise _doc_error("El CUIT/CUIL debe tener 11 dígitos.")
        if not _CUIT_SHAPE.fullmatch(text):
            raise _doc_error("Escribí el CUIT/CUIL con sus 11 números, con o sin guiones (20-12345678-6).")
        if int(digits[2:10]) == 0:
            raise _doc_error("El CUIT/CUIL no es válido.")
        if _cuit_check_digit(digits[:10]) != int(digits[10]):
            raise _doc_error("El CUIT/CUIL no es válido: revisá los números y el dígito verificador (el último).")
        return digits

    label, low, high = _NUMERIC_DOCS[doc_type]
    _reject_bad_document_chars(
        text,
        ". ",
        f"{label} lleva solo números, sin letras.",
        f"{label} lleva solo números; podés separar los miles con puntos (30.123.456).",
    )
    if not (_DIGITS.fullmatch(text) or _GROUPED_DIGITS.fullmatch(text)):
        raise _doc_error("Revisá los puntos o espacios: solo pueden separar los miles (por ejemplo, 30.123.456).")
    digits = text.replace(".", "").replace(" ", "").lstrip("0")
    if not digits:
        raise _doc_error("El número de documento no puede ser 0.")
    if not low <= len(digits) <= high:
        if low == 1:
            raise _doc_error(f"{label} debe tener hasta {high} dígitos.")
        if high - low == 1:
            raise _doc_error(f"{label} debe tener {low} u {high} dígitos.")
        raise _doc_error(f"{label} debe tener entre {low} y {high} dígitos.")
    return digits


# --- names ----------------------------------------------------------------------------------------

NAME_MAX_LENGTH = 60
# Latin letters: ASCII, Latin-1 (á é í ó ú ñ ü ç ...) and Latin Extended-A (Ł, ř ...). Other scripts are
# refused on purpose: operators compare the name with a DNI photo, and mixed scripts allow look-alikes.
_LETTER = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u017f"
_NAME = re.compile(rf"[{_LETTER}]+(?:(?: ?['-] ?| )[{_LETTER}]+)*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u00b4": "'", "`": "'", "\u02bc": "'"})
_HYPHENS = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2013": "-"})
_NAME_FIELDS = {
    "first_names": ("Los nombres", "tus nombres"),
    "last_names": ("Los apellidos", "tus apellidos"),
}


def normalize_name(raw: str, *, field: str) -> str:
    """Validate first names or last names and return them tidied (NFC, single inner spaces, trimmed).

    Letters (with accents, ñ, ü), spaces, apostrophes and hyphens; 1-60 characters. Typographic
    apostrophes (’ ´) become ', and NBSP or other spaces become a plain space. Case is kept as typed.

    Args:
        raw: what the person typed.
        field: "first_names" or "last_names" (names the field in the error and in the messages).

    Returns:
        The normalised name.

    Raises:
        ValidationError: on ``field``.
    """
    noun, yours = _NAME_FIELDS.get(field, ("Los nombres", "tus nombres"))
    if not isinstance(raw, str):
        raise ValidationError(f"Ingresá {yours}.", field=field)
    if len(raw) > 5 * NAME_MAX_LENGTH:
        raise ValidationError(f"{noun} pueden tener hasta {NAME_MAX_LENGTH} caracteres.", field=field)
    if any(unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in ("Zl", "Zp") for ch in raw):
        raise ValidationError(f"{noun} no pueden tener saltos de línea ni caracteres invisibles.", field=field)
    text = unicodedata.normalize("NFC", raw).translate(_APOSTROPHES).translate(_HYPHENS)
    text = "".join(" " if unicodedata.category(ch) == "Zs" else ch for ch in text)
    text = re.sub(" +", " ", text).strip(" ")
    if not text:
        raise ValidationError(f"Ingresá {yours}.", field=field)
    if any(ch.isdigit() or unicodedata.category(ch) == "Nd" for ch in text):
        raise ValidationError(f"{noun} no pueden tener números.", field=field)
    if len(text) > NAME_MAX_LENGTH:
        raise ValidationError(f"{noun} pueden tener hasta {NAME_MAX_LENGTH} caracteres.", field=field)
    if not _NAME.fullmatch(text):
        raise ValidationError(f"{noun} solo pueden tener letras, espacios, apóstrofo (') y guion (-).", field=field)
    return text


# --- e-mail ---------------------------------------------------------------------------------------

EMAIL_MAX_LENGTH = 254
_EMAIL_INVALID = "Ingresá un e-mail válido (por ejemplo, nombre@dominio.com)."


def normalize_email(raw: str) -> tuple[str, str]:
    """Validate an e-mail address and return the form to store and send to, and the one to compare.

    Surrounding spaces are trimmed; line breaks or any control/invisible character anywhere are refused
    (SMTP header injection). Only ASCII addresses are accepted, which also keeps look-alikes such as a
    dotless "ı" out. The domain is lower-cased; the local part keeps its case for display.

    Args:
        raw: what the person typed.

    Returns:
        ``(display, norm)``: ``display`` is what is stored and used as recipient; ``norm`` is ``display``
        lower-cased, for the unique index.

    Raises:
        ValidationError: on field "email".
    """
    if not isinstance(raw, str):
        raise ValidationError("Ingresá tu e-mail.", field="email")
    if len(raw) > 4 * EMAIL_MAX_LENGTH:
        raise ValidationError("El e-mail no puede superar los 254 caracteres.", field="email")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") for ch in raw):
        raise ValidationError("El e-mail no puede tener saltos de línea ni caracteres invisibles.", field="email")
    text = raw.strip()
    if not text:
        raise ValidationError("Ingresá tu e-mail.", field="email")
    if len(text) > EMAIL_MAX_LENGTH:
        raise ValidationError("El e-mail no puede superar los 254 caracteres.", field="email")
    if not text.isascii():
        raise ValidationError("El e-mail no puede tener tildes, eñes ni otros caracteres especiales.", field="email")
    try:
        info = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        raise ValidationError(_EMAIL_INVALID, field="email") from None
    display = info.ascii_email or info.normalized
    if len(display) > EMAIL_MAX_LENGTH:
        raise ValidationError("El e-mail no puede superar los 254 caracteres.", field="email")
    return display, display.lower()


# --- mobile phone ---------------------------------------------------------------------------------

_PHONE_SEPARATORS = re.compile(r"[ -]")


def _phone_chars_error(value: str, field: str, what: str) -> ValidationError:
    if any(_is_foreign_digit(ch) for ch in value):
        return ValidationError(f"Escribí {what} con los dígitos 0 a 9 del teclado común.", field=field)
    return ValidationError(f"Escribí {what} solo con números.", field=field)


def normalize_mobile(area: str, number: str) -> str:
    """Validate "Código de área (sin el 0)" and "N° Celular (sin el 15)" and return the E.164 number.

    The result is "+549" + área + número. It must also be a valid Argentine mobile number for the
    ``phonenumbers`` metadata. That metadata knows which local number ranges each area code has in
    service, so a made-up number such as 264 1xxxxxx is refused; when the numbering plan adds ranges,
    updating ``phonenumbers`` fixes it. We keep that check on purpose: it stops typos and foreign or
    premium numbers before an SMS is paid for. (Landlines cannot be told apart in Argentina: the SMS code
    is what proves the line is a mobile.)

    Args:
        area: area code without the leading 0 (2-4 digits).
        number: local number without the 15 (6-8 digits; spaces and hyphens are ignored).

    Returns:
        The number in E.164, e.g. "+5492644123456".

    Raises:
        ValidationError: on field "area" or "number".
    """
    area_text = check_area(area)
    number_text = check_number(number)
    if len(area_text) + len(number_text) != 10:
        raise ValidationError("El código de área y el número deben sumar 10 dígitos.", field="number")

    e164 = f"+549{area_text}{number_text}"
    parsed = phonenumbers.parse(e164)
    if not (
        phonenumbers.is_valid_number(parsed)
        and phonenumbers.region_code_for_number(parsed) == "AR"
        and phonenumbers.number_type(parsed)
        in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    ):
        raise ValidationError(
            "Ese número de celular no es válido en la Argentina. Revisá el código de área y el número.",
            field="number",
        )
    return e164


# --- verification codes ---------------------------------------------------------------------------

_CODE = re.compile(r"[0-9]{6}|[0-9]{1,5}[ -][0-9]{1,5}")


def normalize_code(raw: str) -> str:
    """Validate a typed verification code and return its 6 digits (leading zeros kept).

    Surrounding spaces or a pasted line break are trimmed, and one inner space or hyphen is allowed
    ("123 456", "123-456"). Anything that is not a string (a JSON number, for instance) is refused.

    Args:
        raw: what the person typed or pasted.

    Returns:
        The 6 ASCII digits.

    Raises:
        ValidationError: on field "code", "El código tiene 6 dígitos."
    """
    error = ValidationError("El código tiene 6 dígitos.", field="code")
    if not isinstance(raw, str) or len(raw) > 32:
        raise error
    text = raw.strip(" \t\r\n")
    if not _CODE.fullmatch(text):
        raise error
    digits = text.replace(" ", "").replace("-", "")
    if len(digits) != 6:
        raise error
    return digits


def check_area(area: object) -> str:
    """The área's own rules (normalize_mobile applies them too; pages use them for live ✓/✗).

    Returns:
        The área's digits.

    Raises:
        ValidationError: on field "area".
    """
    if not isinstance(area, str):
        raise ValidationError("Ingresá el código de área (sin el 0).", field="area")
    area_text = area.strip(" ")
    if not area_text:
        raise ValidationError("Ingresá el código de área (sin el 0).", field="area")
    if not _DIGITS.fullmatch(area_text):
        raise _phone_chars_error(area_text, "area", "el código de área")
    if area_text.startswith("0"):
        raise ValidationError("Ingresá el código de área sin el 0 inicial.", field="area")
    if not 2 <= len(area_text) <= 4:
        raise ValidationError("El código de área tiene entre 2 y 4 dígitos.", field="area")
    return area_text


def check_number(number: object) -> str:
    """The número's own rules (normalize_mobile applies them too; pages use them for live ✓/✗).

    Returns:
        The número's digits (spaces and hyphens removed).

    Raises:
        ValidationError: on field "number".
    """
    if not isinstance(number, str):
        raise ValidationError("Ingresá tu número de celular (sin el 15).", field="number")
    if len(number) > 40:
        raise ValidationError("El número de celular tiene entre 6 y 8 dígitos.", field="number")
    number_text = _PHONE_SEPARATORS.sub("", number.strip(" "))
    if not number_text:
        raise ValidationError("Ingresá tu número de celular (sin el 15).", field="number")
    if not _DIGITS.fullmatch(number_text):
        raise _phone_chars_error(number_text, "number", "el número de celular")
    if number_text.startswith("15"):
        raise ValidationError("Ingresá el número sin el 15 inicial.", field="number")
    if number_text.startswith("0"):
        raise ValidationError("El número de celular no puede empezar con 0.", field="number")
    if not 6 <= len(number_text) <= 8:
        raise ValidationError("El número de celular tiene entre 6 y 8 dígitos (sin el 15).", field="number")
    return number_text
