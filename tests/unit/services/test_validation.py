"""Tables of good and bad inputs for autogestion.services.validation (SECURITY.md "Bad inputs to try")."""

from __future__ import annotations

import time

import pytest

from autogestion.services import formatting as fmt
from autogestion.services import passwords as pw
from autogestion.services import validation as v
from autogestion.services.errors import ValidationError

# --- documents ------------------------------------------------------------------------------------


def test_doc_types_in_order_with_labels():
    assert list(v.DOC_TYPES.items()) == [
        ("DNI", "DNI"),
        ("LE", "LE"),
        ("LC", "LC"),
        ("CI", "CI"),
        ("PAS", "Pasaporte"),
        ("CUIT", "CUIT/CUIL"),
    ]


@pytest.mark.parametrize(
    ("doc_type", "raw", "expected"),
    [
        ("DNI", "30123456", "30123456"),
        ("DNI", "30.123.456", "30123456"),  # bad input #1: dots are thousands separators
        ("DNI", "30 123 456", "30123456"),
        ("DNI", "3.012.345", "3012345"),
        ("DNI", "1234567", "1234567"),  # 7 digits
        ("DNI", "  30123456  ", "30123456"),  # bad input #3: surrounding plain spaces are trimmed
        ("DNI", "01234567", "1234567"),  # leading zero: same DNI as without it
        ("LE", "123456", "123456"),
        ("LE", "12345678", "12345678"),
        ("LC", "4.123.456", "4123456"),
        ("CI", "1", "1"),
        ("CI", "123456789", "123456789"),
        ("PAS", "AAA123456", "AAA123456"),
        ("PAS", "aab123456", "AAB123456"),
        ("PAS", "123456", "123456"),
        ("PAS", "ZX98765", "ZX98765"),
        ("CUIT", "20-12345678-6", "20123456786"),  # 2*5+0*4+1*3+2*2+3*7+4*6+5*5+6*4+7*3+8*2 = 148; 11 - 148 % 11 = 6
        ("CUIT", "20123456786", "20123456786"),
        ("CUIT", "20 12345678 6", "20123456786"),
        ("CUIT", "27-30123456-8", "27301234568"),
        ("CUIT", "30-71234567-1", "30712345671"),  # remainder 10 -> check digit 1
        ("CUIT", "23-00000001-9", "23000000019"),
    ],
)
def test_normalize_document_accepts(doc_type, raw, expected):
    assert v.normalize_document(doc_type, raw) == expected


@pytest.mark.parametrize(
    ("doc_type", "raw", "message_part"),
    [
        # bad input #1
        ("DNI", "30A23456", "sin letras"),
        ("DNI", "123456", "7 u 8 dígitos"),  # 6 digits
        ("DNI", "123456789", "7 u 8 dígitos"),  # 9 digits
        ("DNI", "3012345678901", "7 u 8 dígitos"),
        ("DNI", "0", "no puede ser 0"),
        ("DNI", "00000000", "no puede ser 0"),
        ("DNI", "00.000.000", "no puede ser 0"),
        ("DNI", "-30123456", "solo números"),
        ("DNI", "+30123456", "solo números"),
        ("DNI", "3e7", "sin letras"),
        ("DNI", "30123456.0", "puntos"),
        ("DNI", "30..123.456", "puntos"),
        ("DNI", "3.0123456", "puntos"),
        ("DNI", "30,123,456", "solo números"),
        ("DNI", "30_123_456", "solo números"),
        # bad input #2: Unicode digits that int(), isdigit() and \d accept
        ("DNI", "٣٠١٢٣٤٥٦", "dígitos 0 a 9"),
        ("DNI", "３０１２３４５６", "dígitos 0 a 9"),
        ("DNI", "3012345６", "dígitos 0 a 9"),
        ("DNI", "۳۰۱۲۳۴۵۶", "dígitos 0 a 9"),  # Extended Arabic-Indic
        ("DNI", "30123456²", "dígitos 0 a 9"),  # superscript two: isdigit() is True
        # bad input #3: whitespace other than plain spaces, invisible characters
        ("DNI", "30\u00a0123\u00a0456", "invisibles"),  # NBSP
        ("DNI", "30123\u200b456", "invisibles"),  # zero-width space
        ("DNI", "30123456\n", "invisibles"),
        ("DNI", "\n30123456", "invisibles"),
        ("DNI", "30123456\r\nINFO fake", "invisibles"),  # log injection (#26)
        ("DNI", "\t30123456", "invisibles"),
        ("DNI", "30123456\x00", "invisibles"),
        ("DNI", "\x1b[31m30123456", "invisibles"),  # ANSI escape (#26)
        ("DNI", "3 0 1 2 3 4 5 6", "puntos"),
        ("DNI", "", "Ingresá"),
        ("DNI", "   ", "Ingresá"),
        ("DNI", "1" * 1000, "demasiado largo"),
        ("LE", "12345", "entre 6 y 8"),
        ("LC", "123456789", "entre 6 y 8"),
        ("CI", "1234567890", "hasta 9"),
        ("CI", "0", "no puede ser 0"),
        ("PAS", "AB123", "entre 6 y 9"),
        ("PAS", "AB12345678", "entre 6 y 9"),
        ("PAS", "AAA-123456", "solo letras"),
        ("PAS", "AAA 123456", "solo letras"),
        ("PAS", "ÑAA123456", "solo letras"),
        ("PAS", "ААА123456", "solo letras"),  # Cyrillic look-alikes
        ("PAS", "000000", "no es válido"),
        ("PAS", "AAA１２３４５６", "dígitos 0 a 9"),
        ("CUIT", "20-12345678-7", "dígito verificador"),
        ("CUIT", "20123456787", "dígito verificador"),
        ("CUIT", "20-12345676-0", "dígito verificador"),  # remainder 1: no check digit exists
        ("CUIT", "00000000000", "no es válido"),  # all zeros would otherwise pass mod-11
        ("CUIT", "20-00000000-1", "no es válido"),
        ("CUIT", "2012345678", "11 dígitos"),
        ("CUIT", "201234567861", "11 dígitos"),
        ("CUIT", "201-2345678-6", "guiones"),
        ("CUIT", "20--12345678-6", "guiones"),
        ("CUIT", "20.12345678.6", "solo números"),
        ("CUIT", "20-1234567A-6", "sin letras"),
        ("CUIT", "２０-12345678-6", "dígitos 0 a 9"),
    ],
)
def test_normalize_document_rejects(doc_type, raw, message_part):
    with pytest.raises(ValidationError) as exc:
        v.normalize_document(doc_type, raw)
    assert exc.value.field == "doc_number"
    assert message_part in exc.value.message


@pytest.mark.parametrize("raw", [30123456, 30123456.0, None, b"30123456", ["30123456"], True])
def test_normalize_document_rejects_non_strings(raw):
    with pytest.raises(ValidationError) as exc:
        v.normalize_document("DNI", raw)
    assert exc.value.field == "doc_number"


@pytest.mark.parametrize("doc_type", ["dni", "DNI ", "Pasaporte", "CUIL", "", None, 1])
def test_normalize_document_rejects_unknown_types(doc_type):
    with pytest.raises(ValidationError) as exc:
        v.normalize_document(doc_type, "30123456")
    assert exc.value.field == "doc_type"


def test_dni_spellings_map_to_one_value():
    spellings = ["30123456", "30.123.456", "30 123 456", " 30123456 ", "030123456"]
    assert {v.normalize_document("DNI", s) for s in spellings} == {"30123456"}


# --- passwords ------------------------------------------------------------------------------------

GOOD = "Xk9mTq2vLp"  # passes every rule


@pytest.mark.parametrize(
    "password",
    [
        GOOD,
        "Tr3nDeLaCosta",
        "Ab1cdefg",  # exactly 8
        "a" * 70 + "B1",  # 72 ASCII bytes (bad input #9)
        "Contraseña9Xk",  # ñ is fine
        "ñ" * 20 + "Ab1" + "x" * 29,  # 40 + 32 = 72 bytes
        " Xk9mTq2vLp",  # leading space kept (bad input #10)
        "Xk9mTq2vLp ",  # trailing space kept
        "Password1 ",  # not the listed word any more: the space is part of it
        "Juan2024Xk",  # another person's name: nothing to do with the data below
        "Mi gato Tom 7",
        "ÉLÁ9ñandú",  # accented upper and lower case letters count
    ],
)
def test_validate_password_accepts(password):
    pw.validate_password(password, doc_number="30123456", email="pedro.gomez@mail.com", phone="+5492644123489")


@pytest.mark.parametrize(
    ("password", "message_part"),
    [
        ("Ab1defg", "al menos 8 caracteres"),  # 7 characters
        ("", "Ingresá una contraseña"),
        ("        ", "minúscula"),  # only spaces
        ("ABCDEFG1", "minúscula"),
        ("abcdefg1", "mayúscula"),
        ("Abcdefgh", "un número"),
        ("Abcdefg１", "un número"),  # a full-width digit is not 0-9
        ("a" * 71 + "B1", "72 bytes"),  # 73 ASCII bytes (bad input #9)
        ("\U0001f600" * 25, "72 bytes"),  # 25 emoji = 100 bytes, 25 characters
        ("ñ" * 20 + "Ab1" + "x" * 30, "72 bytes"),  # 73 bytes counted in UTF-8
        ("Ab1" + "x" * (1024 * 1024), "72 bytes"),  # 1 MB (bad input #10)
        ("Abc\x00defg1", "no válidos"),  # NUL byte
        ("Abc\ud800defg1", "no válidos"),  # lone surrogate: cannot be encoded for the hash
        ("Password1", "muy común"),
        ("PASSWORD1", "minúscula"),  # composition answers first
        ("pAsSwOrD1", "muy común"),  # the list is compared case-insensitively
        ("pASSWORD1", "muy común"),
        ("Qwerty123", "muy común"),
        ("Argentina1", "muy común"),
        ("Boca1234", "muy común"),
        ("River123", "muy común"),
        ("Contraseña12345", "muy común"),
        ("Contrasena12345", "muy común"),
        ("P@ssw0rd1", "muy común"),
        ("Abcd1234", "muy común"),
        ("Aa123456", "muy común"),
        ("Luz12345", "muy común"),
        ("Clave30123456", "documento"),  # the DNI inside (bad input #10)
        ("Clave30.123.456", "documento"),
        ("PedroGomez1", "e-mail"),  # the e-mail's local part, separators ignored
        ("Pedro.Gomez9", "e-mail"),
        ("Tel4123489x", "celular"),
        ("Energia2024", "distribuidora"),
        ("MiEnergía99", "distribuidora"),
        ("3n3rgiaXyz9", "distribuidora"),
        ("SanJuan2024", "distribuidora"),
        ("San Juan 2024", "distribuidora"),
        ("San-Juan9x", "distribuidora"),
        ("Autogestion1", "distribuidora"),
    ],
)
def test_validate_password_rejects(password, message_part):
    with pytest.raises(ValidationError) as exc:
        pw.validate_password(password, doc_number="30123456", email="pedro.gomez@mail.com", phone="+5492644123489")
    assert exc.value.field == "password"
    assert message_part in exc.value.message


def test_validate_password_the_dni_itself():
    """Bad input #10: the DNI as the password never passes (composition or the context rule)."""
    for password in ("30123456", "Dni30123456", "30123456Ab"):
        with pytest.raises(ValidationError):
            pw.validate_password(password, doc_number="30123456")


def test_validate_password_byte_message_explains_accents_and_emoji():
    with pytest.raises(ValidationError) as exc:
        pw.validate_password("\U0001f600" * 25)
    assert exc.value.message.startswith("La contraseña no puede superar los 72 bytes")
    assert "tilde" in exc.value.message and "emoji" in exc.value.message


def test_validate_password_one_megabyte_is_fast():
    start = time.perf_counter()
    with pytest.raises(ValidationError):
        pw.validate_password("A1b" * 400_000)
    assert time.perf_counter() - start < 0.1


@pytest.mark.parametrize(
    ("password", "kwargs"),
    [
        ("Abc12345Xy", {"doc_number": "12345"}),  # document shorter than 6: not checked
        ("Anaa1234Xy", {"email": "ana@mail.com"}),  # local part shorter than 4: not checked
        ("Zq9Xw8Yv7U", {"doc_number": None, "email": None, "phone": None}),  # non-strings ignored
    ],
)
def test_validate_password_context_thresholds(password, kwargs):
    pw.validate_password(password, **kwargs)


@pytest.mark.parametrize("password", [None, 12345678, b"Xk9mTq2vLp", ["Xk9mTq2vLp"]])
def test_validate_password_rejects_non_strings(password):
    with pytest.raises(ValidationError) as exc:
        pw.validate_password(password)
    assert exc.value.field == "password"


def test_validate_password_does_not_change_its_argument():
    password = "  Xk9mTq2vLp  "
    pw.validate_password(password)
    assert password == "  Xk9mTq2vLp  "


def test_common_list_is_big_lower_case_and_loaded_once():
    entries = pw._common_passwords()
    assert len(entries) >= 3000
    assert all(e == e.lower() for e in entries)
    assert pw._common_passwords() is entries


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("", [False, False, False, False]),
        ("abc", [False, True, False, False]),
        ("ABCDEFGH", [True, False, True, False]),
        ("abcdefg1", [True, True, False, True]),
        (GOOD, [True, True, True, True]),
        (None, [False, False, False, False]),
    ],
)
def test_password_checks(password, expected):
    checks = pw.password_checks(password)
    assert [label for label, _ in checks] == [
        "Mínimo 8 caracteres",
        "Al menos una letra minúscula",
        "Al menos una letra mayúscula",
        "Al menos un número",
    ]
    assert [ok for _, ok in checks] == expected


@pytest.mark.parametrize(
    ("password", "repeat", "message"),
    [
        (GOOD, GOOD + " ", "Las contraseñas no coinciden."),  # nothing is trimmed
        (GOOD, GOOD.lower(), "Las contraseñas no coinciden."),
        (GOOD, "", "Repetí la contraseña."),
        (GOOD, None, "Repetí la contraseña."),
        (None, GOOD, "Las contraseñas no coinciden."),
    ],
)
def test_validate_password_repeat_rejects(password, repeat, message):
    with pytest.raises(ValidationError) as exc:
        pw.validate_password_repeat(password, repeat)
    assert exc.value.field == "password2"
    assert exc.value.message == message


def test_validate_password_repeat_accepts():
    pw.validate_password_repeat(" " + GOOD, " " + GOOD)


# --- names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("María José", "María José"),
        ("O'Brien", "O'Brien"),
        ("O’Brien", "O'Brien"),  # typographic apostrophe
        ("O´Brien", "O'Brien"),  # the acute accent key of Spanish keyboards
        ("Pérez-Gómez", "Pérez-Gómez"),
        ("  Juan   Carlos  ", "Juan Carlos"),
        ("Juan\u00a0Carlos", "Juan Carlos"),  # NBSP is a space here
        ("Ñandú Güemes", "Ñandú Güemes"),
        ("de la Torre", "de la Torre"),
        ("Jose\u0301", "José"),  # NFD -> NFC
        ("Łukasz Dvořák", "Łukasz Dvořák"),
        ("A", "A"),
        ("a" * 60, "a" * 60),
    ],
)
def test_normalize_name_accepts(raw, expected):
    assert v.normalize_name(raw, field="first_names") == expected


@pytest.mark.parametrize(
    ("raw", "message_part"),
    [
        ("", "Ingresá tus apellidos"),
        ("   ", "Ingresá tus apellidos"),
        ("a" * 61, "hasta 60"),
        ("a" * 10_000, "hasta 60"),
        ("Juan2", "números"),
        ("Juan ３", "números"),
        ("Pérez\nGómez", "saltos de línea"),
        ("Pérez\r\nINFO fake", "saltos de línea"),  # log injection (#26)
        ("Pérez\x1b[31m", "saltos de línea"),  # ANSI escape
        ("Pé\u200brez", "saltos de línea"),
        ("Pérez\tGómez", "saltos de línea"),
        ("<img src=x onerror=alert(1)>", "números"),  # (#26): the digit is found first
        ("<img src=x onerror=alert()>", "solo pueden tener letras"),
        ("<b>Pérez</b>", "solo pueden tener letras"),
        ("Pérez;", "solo pueden tener letras"),
        ("-Pérez", "solo pueden tener letras"),
        ("Pérez-", "solo pueden tener letras"),
        ("O''Brien", "solo pueden tener letras"),
        ("Pérez--Gómez", "solo pueden tener letras"),
        ("'", "solo pueden tener letras"),
        ("Pérez \U0001f600", "solo pueden tener letras"),
        ("Пётр", "solo pueden tener letras"),  # Cyrillic
        ("Juan.", "solo pueden tener letras"),
    ],
)
def test_normalize_name_rejects(raw, message_part):
    with pytest.raises(ValidationError) as exc:
        v.normalize_name(raw, field="last_names")
    assert exc.value.field == "last_names"
    assert message_part in exc.value.message


def test_normalize_name_rejects_non_strings():
    with pytest.raises(ValidationError) as exc:
        v.normalize_name(None, field="first_names")
    assert exc.value.field == "first_names"


# --- e-mail ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "display", "norm"),
    [
        ("juan@mail.com", "juan@mail.com", "juan@mail.com"),
        ("Juan@Mail.com", "Juan@mail.com", "juan@mail.com"),  # bad input #4: case duplicates share norm
        ("  juan@mail.com  ", "juan@mail.com", "juan@mail.com"),  # trailing spaces
        ("JUAN@MAIL.COM", "JUAN@mail.com", "juan@mail.com"),
        ("juan.perez+portal@mail.com.ar", "juan.perez+portal@mail.com.ar", "juan.perez+portal@mail.com.ar"),
        ("mike@example.org", "mike@example.org", "mike@example.org"),
    ],
)
def test_normalize_email_accepts(raw, display, norm):
    assert v.normalize_email(raw) == (display, norm)


@pytest.mark.parametrize(
    ("raw", "message_part"),
    [
        ("juan@mail.com.", "e-mail válido"),  # bad input #4: trailing dot
        ("mıke@example.org", "tildes"),  # bad input #5: dotless i
        ("juan@mаil.com", "tildes"),  # Cyrillic "а" in the domain
        ("josé@mail.com", "tildes"),
        ("a@b.com\r\nBcc: x@y.com", "saltos de línea"),  # bad input #6: header injection
        ("a@b.com\nBcc: x@y.com", "saltos de línea"),
        ("a@b.com\r", "saltos de línea"),
        ("a@b.com\x00", "saltos de línea"),
        ("a\u200b@b.com", "saltos de línea"),
        ("a" * 64 + "@" + ("b" * 62 + ".") * 3 + "com", "254"),  # 255+ characters
        ("a" * 10_000 + "@b.com", "254"),
        ("@", "e-mail válido"),
        ("", "Ingresá tu e-mail"),
        ("   ", "Ingresá tu e-mail"),
        ("juan", "e-mail válido"),
        ("juan@", "e-mail válido"),
        ("juan@mail", "e-mail válido"),
        ("juan@@mail.com", "e-mail válido"),
        ("juan perez@mail.com", "e-mail válido"),
        ("Juan <juan@mail.com>", "e-mail válido"),
        ('"juan"@mail.com', "e-mail válido"),
        ("juan@[127.0.0.1]", "e-mail válido"),
        ("juan..perez@mail.com", "e-mail válido"),
        ("juan@localhost", "e-mail válido"),
    ],
)
def test_normalize_email_rejects(raw, message_part):
    with pytest.raises(ValidationError) as exc:
        v.normalize_email(raw)
    assert exc.value.field == "email"
    assert message_part in exc.value.message


def test_normalize_email_invalid_message():
    with pytest.raises(ValidationError) as exc:
        v.normalize_email("juan@")
    assert exc.value.message == "Ingresá un e-mail válido (por ejemplo, nombre@dominio.com)."


@pytest.mark.parametrize("raw", [None, 1, b"juan@mail.com"])
def test_normalize_email_rejects_non_strings(raw):
    with pytest.raises(ValidationError):
        v.normalize_email(raw)


def test_email_case_variants_collide():
    assert v.normalize_email("Juan@Mail.com")[1] == v.normalize_email("juan@mail.com ")[1]


# --- mobile ---------------------------------------------------------------------------------------

NOT_IN_SERVICE = "Ese número de celular no es válido en la Argentina. Revisá el código de área y el número."


@pytest.mark.parametrize(
    ("area", "number", "expected"),
    [
        ("11", "23456789", "+5491123456789"),
        ("11", "2345-6789", "+5491123456789"),  # bad input #7: the spellings of one number
        ("11", "2345 6789", "+5491123456789"),
        (" 11 ", " 2345-6789 ", "+5491123456789"),
        ("11", "23-45-67-89", "+5491123456789"),
        ("264", "4123456", "+5492644123456"),  # San Juan
        ("264", "412-3456", "+5492644123456"),
        ("351", "4123456", "+5493514123456"),  # Córdoba
        ("261", "4123456", "+5492614123456"),  # Mendoza
        ("2966", "421234", "+5492966421234"),  # Río Gallegos: 4-digit area, 6-digit number
        ("2902", "421234", "+5492902421234"),
    ],
)
def test_normalize_mobile_accepts(area, number, expected):
    assert v.normalize_mobile(area, number) == expected


@pytest.mark.parametrize(
    ("area", "number", "field", "message"),
    [
        # bad input #7: "011 15-2345-6789" typed into the two boxes
        ("011", "15-2345-6789", "area", "Ingresá el código de área sin el 0 inicial."),
        ("11", "15-2345-6789", "number", "Ingresá el número sin el 15 inicial."),
        ("11", "1523456789", "number", "Ingresá el número sin el 15 inicial."),
        ("0264", "4123456", "area", "Ingresá el código de área sin el 0 inicial."),
        # "+54 9 11 2345-6789" and "5491123456789" in the boxes
        ("+54 9 11", "2345-6789", "area", "Escribí el código de área solo con números."),
        ("549", "1123456789", "number", "El número de celular tiene entre 6 y 8 dígitos (sin el 15)."),
        ("5491123456789", "", "area", "El código de área tiene entre 2 y 4 dígitos."),
        # bad input #8: letters, only zeros, 30 digits
        ("11", "2345678a", "number", "Escribí el número de celular solo con números."),
        ("1a", "23456789", "area", "Escribí el código de área solo con números."),
        ("00", "00000000", "area", "Ingresá el código de área sin el 0 inicial."),
        ("11", "00000000", "number", "El número de celular no puede empezar con 0."),
        ("11", "1" * 30, "number", "El número de celular tiene entre 6 y 8 dígitos (sin el 15)."),
        ("11", "15" + "2" * 28, "number", "Ingresá el número sin el 15 inicial."),
        ("11", "2" * 30, "number", "El número de celular tiene entre 6 y 8 dígitos (sin el 15)."),
        ("11", "2" * 1000, "number", "El número de celular tiene entre 6 y 8 dígitos."),
        ("1" * 30, "23456789", "area", "El código de área tiene entre 2 y 4 dígitos."),
        # Unicode digits and invisible characters
        ("１１", "23456789", "area", "Escribí el código de área con los dígitos 0 a 9 del teclado común."),
        ("11", "２３４５６７８９", "number", "Escribí el número de celular con los dígitos 0 a 9 del teclado común."),
        ("11", "٢٣٤٥٦٧٨٩", "number", "Escribí el número de celular con los dígitos 0 a 9 del teclado común."),
        ("11", "2345\u00a06789", "number", "Escribí el número de celular solo con números."),
        ("11", "23456789\n", "number", "Escribí el número de celular solo con números."),
        ("11", "2345.6789", "number", "Escribí el número de celular solo con números."),
        # lengths
        ("1", "23456789", "area", "El código de área tiene entre 2 y 4 dígitos."),
        ("12345", "234567", "area", "El código de área tiene entre 2 y 4 dígitos."),
        ("11", "23456", "number", "El número de celular tiene entre 6 y 8 dígitos (sin el 15)."),
        ("11", "2345678", "number", "El código de área y el número deben sumar 10 dígitos."),
        ("264", "41234567", "number", "El código de área y el número deben sumar 10 dígitos."),
        ("2966", "4212345", "number", "El código de área y el número deben sumar 10 dígitos."),
        # well-formed but not a number in service (phonenumbers metadata)
        ("99", "23456789", "number", NOT_IN_SERVICE),
        ("264", "1234567", "number", NOT_IN_SERVICE),
        ("", "23456789", "area", "Ingresá el código de área (sin el 0)."),
        ("11", "", "number", "Ingresá tu número de celular (sin el 15)."),
        ("11", " - ", "number", "Ingresá tu número de celular (sin el 15)."),
        (None, "23456789", "area", "Ingresá el código de área (sin el 0)."),
        ("11", 23456789, "number", "Ingresá tu número de celular (sin el 15)."),
    ],
)
def test_normalize_mobile_rejects(area, number, field, message):
    with pytest.raises(ValidationError) as exc:
        v.normalize_mobile(area, number)
    assert exc.value.field == field
    assert exc.value.message == message


def test_mobile_spellings_collide():
    spellings = [("11", "23456789"), ("11", "2345-6789"), (" 11", "2345 6789 ")]
    assert {v.normalize_mobile(a, n) for a, n in spellings} == {"+5491123456789"}


# --- verification codes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("123456", "123456"),
        ("000123", "000123"),  # leading zeros kept
        ("123 456", "123456"),  # bad input #16
        ("123-456", "123456"),
        ("  123456  ", "123456"),
        ("123456\n", "123456"),  # pasted with the line break
        ("12-3456", "123456"),
    ],
)
def test_normalize_code_accepts(raw, expected):
    assert v.normalize_code(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        123456,  # bad input #16: JSON number instead of a string
        123456.0,
        None,
        True,
        b"123456",
        "１２３４５６",  # full-width
        "١٢٣٤٥٦",  # Arabic-Indic
        "12345",  # 5 digits
        "1234567",  # 7 digits
        "12345a",
        "abcdef",
        "",
        "12 34 56",  # more than one separator
        "123--456",
        "123 - 456",
        "-123456",
        "123456-",
        "123_456",
        "123\u00a0456",
        "12345\u200b6",
        "+123456",
        "1" * 1000,
    ],
)
def test_normalize_code_rejects(raw):
    with pytest.raises(ValidationError) as exc:
        v.normalize_code(raw)
    assert exc.value.field == "code"
    assert exc.value.message == "El código tiene 6 dígitos."


# --- masking --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("juan@gmail.com", "j***@g***.com"),
        ("Juan.Perez@mail.com.ar", "J***@m***.ar"),
        ("a@b.co", "a***@b***.co"),
        ("nada", "***"),
        ("@mail.com", "***"),
        ("juan@localhost", "***"),
        (None, "***"),
    ],
)
def test_mask_email(email, expected):
    assert fmt.mask_email(email) == expected


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+5492644123489", "+54 9 *** ***-**89"),
        ("+5491123456789", "+54 9 *** ***-**89"),
        ("+5491123456700", "+54 9 *** ***-**00"),
        ("1123456789", "***"),
        ("", "***"),
        (None, "***"),
    ],
)
def test_mask_phone(e164, expected):
    assert fmt.mask_phone(e164) == expected


@pytest.mark.parametrize(
    "area,ok",
    [
        ("264", True),
        ("11", True),
        ("2966", True),
        ("0264", False),
        ("2", False),
        ("26455", False),
        ("26a", False),
        ("２６４", False),
        ("", False),
    ],
)
def test_check_area(area, ok):
    from autogestion.services.validation import check_area

    if ok:
        check_area(area)
    else:
        with pytest.raises(ValidationError) as exc:
            check_area(area)
        assert exc.value.field == "area"


@pytest.mark.parametrize(
    "number,ok",
    [
        ("4123456", True),
        ("412-3456", True),
        ("23456789", True),
        ("154123456", False),
        ("15412345", False),
        ("41234", False),
        ("412345678", False),
        ("41a3456", False),
        ("４１２３４５６", False),
    ],
)
def test_check_number(number, ok):
    from autogestion.services.validation import check_number

    if ok:
        check_number(number)
    else:
        with pytest.raises(ValidationError) as exc:
            check_number(number)
        assert exc.value.field == "number"
