"""Regenerates autogestion/data/common-passwords.txt from well-known base words and suffixes.

The output is committed as data; run this only to change the list:

    .venv/bin/python scripts/make_common_passwords.py

Only entries that the portal's own rule could let through are kept (at least 8 characters, at most 72
UTF-8 bytes, at least one letter and one digit): the list is compared case-insensitively, so "password1"
blocks "Password1", "PASSWORD1" and "pAsSwOrD1".
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "autogestion" / "data" / "common-passwords.txt"

# The most used passwords and password bases worldwide (top of every leaked-password list).
TOP_EN = """
password passw0rd p4ssw0rd p@ssw0rd p@ssword pass pasword passwd qwerty qwertyuiop qwertyui qwert
letmein welcome welcome1 admin administrator root login iloveyou iloveu loveyou lovely monkey dragon
master sunshine princess football baseball basketball soccer hockey shadow superman batman spiderman
trustno1 michael jennifer jordan hunter ranger buster thomas robert daniel jessica ashley charlie
freedom whatever hello hellokitty abc abcd abcde abcdef abcdefg abcdefgh abcd1234 abc123 starwars
computer internet google facebook youtube instagram twitter samsung iphone apple microsoft windows
secret secreto summer winter spring autumn flower purple orange banana chocolate cookie pepper ginger
killer matrix mustang harley ferrari corvette porsche mercedes yankees cowboys lakers chelsea liverpool
arsenal barcelona madrid realmadrid juventus manchester united access changeme default guest user
test tester testing qazwsx zaq1xsw2 zaq12wsx 1qaz2wsx 1q2w3e4r 1q2w3e 1q2w3e4r5t q1w2e3r4 q1w2e3r4t5
asdf asdfgh asdfghjk asdfghjkl zxcvbn zxcvbnm qweasd qweasdzxc qwe asd zxc aaa aaaa aaaaaa abcabc
asdasd qweqwe zxczxc azerty azertyuiop 1qazxsw2 mypassword mypass newpassword private solo
pokemon naruto minecraft fortnite roblox playstation xbox nintendo gamer
""".split()

# Spanish / Argentine bases: the words people here pick first.
TOP_ES = """
contraseña contrasena contraseñas contrasenia micontraseña micontrasena clave miclave laclave
clavesegura seguridad seguro usuario miusuario nuevaclave nueva cambiar cambiame acceso ingreso
hola holamundo holahola teamo tequiero amor amorcito miamor mivida corazon cariño carino besos
argentina argentino argentinos buenosaires sanjuan mendoza cordoba rosario santafe tucuman salta
neuquen laplata mardelplata patagonia caba capital riverplate river boca bocajuniors bokita bostero
millonario millonarios gallina xeneize racing racingclub independiente rojo sanlorenzo cuervo
huracan globo velez velezsarsfield estudiantes pincha gimnasia lobo newells newellsoldboys leprosos
central rosariocentral canalla talleres belgrano pirata lanus banfield colon union sanmartin
godoycruz tigre platense argentinos chacarita quilmes atletico instituto arsenal defensa aldosivi
messi lionel liomessi leomessi maradona diego diegomaradona dibu scaloni scaloneta campeon campeones
mundial copamundial qatar tricampeon dios diosesamor jesus jesucristo cristo virgen maria bendicion
futbol pelota gol golazo fulbo gato gatito perro perrito mama mami papa papi hijo hija hijos familia
abuela abuelo hermano hermana mate asado tango fernet malbec vino cerveza birra pizza empanada
dulcedeleche alfajor boludo chabon pibe che gaucho pampa sol luna estrella cielo mar playa verano
invierno primavera otoño otono trabajo escuela colegio facultad universidad docente profesor
energia energiasanjuan luz luzsanjuan electricidad factura facturas servicio suministro
autogestion portal cliente clientes distribuidora edesur edenor epec edesa
""".split()

# Common first names in Argentina and common English names.
NAMES = """
juan juanpablo juancruz juanmanuel juanignacio maria mariajose mariana mariela marcela marcelo
jose josefina carlos jorge luis luisa miguel ana anabella laura lucia lucas mateo santiago
benjamin martin martina valentina valentin sofia camila florencia agustina agustin facundo
franco nicolas tomas joaquin ignacio matias gonzalo federico ezequiel leandro emanuel sebastian
alejandro alejandra gabriel gabriela fernando fernanda pablo paula andres andrea ricardo roberto
daniela diego hector oscar raul ruben sergio silvia claudia patricia monica susana graciela
norma beatriz marta rosa carmen julia julieta victoria milagros micaela rocio belen romina
natalia carolina veronica cecilia lorena soledad noelia vanesa gisela yanina brenda celeste
emilia olivia isabella catalina delfina renata bautista thiago lautaro maximo maxi ciro
eduardo esteban rodrigo cristian cristina claudio walter ramon hugo alberto mario antonio
francisco manuel rafael enzo bruno dylan ian felipe alma emma mia lola guadalupe guada
john james david richard charles joseph william george peter paul mark steven kevin brian
anthony chris christian andrew joshua matthew justin ryan nicole michelle amanda sarah
""".split()

KEYBOARD = """
qwerty qwertyu qwertyui qwertyuiop asdfgh asdfghj asdfghjk asdfghjkl zxcvbn zxcvbnm qazwsx
qazwsxedc wsxedc edcrfv 1qaz2wsx 1qaz2wsx3edc 1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y q1w2e3r4 q1w2e3r4t5
qwe123 asd123 zxc123 qweasd qweasdzxc poiuytrewq lkjhgfdsa mnbvcxz azerty qwertz aa bb abc
123qwe 123asd 123abc 1234qwer 12345qwert 123456q 123456a a123456 a1234567 a12345678 aa123456
abcd1234 abc12345 qwer1234 asdf1234 zxcv1234 1234abcd 1234asdf 12qwaszx 1qazxsw2 zaq12wsx
""".split()

# Suffixes people add to satisfy "one digit" (and the years of births, weddings and World Cups).
DIGIT_SUFFIXES = """
1 2 3 7 9 0 01 10 11 12 13 22 23 69 77 99 00 007 100 111 123 321 1234 4321 12345 123456 1234567
12345678 123456789 1234567890 2 22 222 1111 2222 0000 101 777 666 911 1986 86 78 1978 2022 2023
""".split()
CORE_SUFFIXES = "1 2 01 10 11 12 22 69 99 00 123 1234 12345 123456 2020 2021 2022 2023 2024 2025".split()
YEARS = [str(y) for y in range(1950, 2031)]
SHORT_YEARS = [f"{y:02d}" for y in [*range(50, 100), *range(0, 31)]]
PREFIXES = ["", "mi", "la", "el", "el_", "i love ", "ilove", "te amo ", "teamo"]


def _ok(entry: str) -> bool:
    """Only what the portal's rule could accept is worth listing."""
    return (
        len(entry) >= 8
        and len(entry.encode("utf-8")) <= 72
        and re.search(r"[0-9]", entry) is not None
        and any(ch.isalpha() for ch in entry)
    )


LEET_RULES = (
    {"o": "0"},
    {"a": "@"},
    {"a": "4"},
    {"e": "3"},
    {"i": "1"},
    {"s": "$"},
    {"o": "0", "a": "@"},
    {"o": "0", "a": "4", "e": "3", "i": "1"},
    {"o": "0", "a": "@", "e": "3", "i": "1", "s": "$"},
)


def _leet(word: str) -> set[str]:
    """The substitutions everybody makes ("p@ssw0rd"), one rule set at a time."""
    return {word.translate(str.maketrans(rule)) for rule in LEET_RULES} - {word}


def _strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def generate() -> list[str]:
    bases = list(dict.fromkeys(TOP_EN + TOP_ES + NAMES + KEYBOARD))
    bases = list(dict.fromkeys(bases + [_strip_accents(b) for b in bases]))
    top = list(dict.fromkeys(TOP_EN[:30] + TOP_ES[:70]))
    out: set[str] = set(bases)
    for base in bases:
        for suffix in CORE_SUFFIXES:
            out.add(f"{base}{suffix}")
        for suffix in ("1", "12", "123", "1234"):
            out.add(f"{suffix}{base}")
        out.add(f"{base}123!")
        out.add(f"{base}1!")
    # Names and favourite words with a year or the two digits of one ("martina2015", "boca81").
    for base in dict.fromkeys(top + NAMES[:90]):
        for year in YEARS:
            out.add(f"{base}{year}")
        for year in SHORT_YEARS:
            out.add(f"{base}{year}")
    for base in top:
        for suffix in DIGIT_SUFFIXES:
            out.add(f"{base}{suffix}")
            out.add(f"{base}{suffix}!")
        for year in YEARS[-40:]:
            out.add(f"{base}{year}!")
            out.add(f"{base}_{year}")
        for leet in _leet(base):
            out.add(leet)
            for suffix in ("1", "12", "123", "1234", "12345", "2024", "2025"):
                out.add(f"{leet}{suffix}")
                out.add(f"{leet}{suffix}!")
        for prefix in PREFIXES:
            for suffix in ("1", "12", "123", "1234"):
                out.add(f"{prefix}{base}{suffix}")
    # Doubled words from the most used Argentine bases ("bocaboca1").
    for base in TOP_ES[:60]:
        for suffix in ("1", "12", "123", "1234"):
            out.add(f"{base}{base}{suffix}")
    # Digit runs with one or two letters in front or behind ("a1234567", "12345678a").
    for digits in (
        "1234567",
        "12345678",
        "123456789",
        "1234567890",
        "0987654321",
        "11111111",
        "00000000",
        "7777777",
        "12341234",
        "11223344",
        "12121212",
        "87654321",
        "98765432",
        "147258369",
        "159753",
        "1597532",
        "741852963",
        "123123",
        "1231234",
        "123321",
        "654321",
        "112233",
    ):
        for letter in "abcdefghijklmnopqrstuvwxyzñ":
            out.add(f"{letter}{digits}")
            out.add(f"{digits}{letter}")
            out.add(f"{letter}{letter}{digits}")
    return sorted({unicodedata.normalize("NFC", e.lower()) for e in out if _ok(e)})


def main() -> None:
    entries = generate()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(entries) + "\n", encoding="utf-8")
    print(f"{len(entries)} entries written to {OUT}")


if __name__ == "__main__":
    main()
