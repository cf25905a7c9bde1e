"""Passwords: the policy a new one must meet, and bcrypt hashing off the event loop (with a dummy check for
unknown users, so both take the same time)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import threading
import unicodedata
import weakref
from concurrent.futures import ThreadPoolExecutor
from functools import cache, lru_cache, partial
from importlib import resources

import bcrypt

from autogestion.config import get_settings
from autogestion.services.errors import ValidationError

# bcrypt gets its own small pool, one core short of the machine: a burst of logins then waits in
# line instead of starving the event loop (and every other user's events) of CPU.
BCRYPT_NICE = 10


def _yield_to_the_event_loops() -> None:
    """Run this pool's threads at a lower CPU priority (Linux's nice is per thread): a hash releases the
    GIL and competes with the workers' event loops as an OS thread; with one pool per worker, a login
    storm kept every core hashing and other people's page events waited 350-700 ms (p95) for a slice
    of CPU. Now hashing takes the CPU the pages leave: logins queue, pages do not."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the thread keeps its priority
        me = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, me, min(19, os.getpriority(os.PRIO_PROCESS, me) + BCRYPT_NICE))


_POOL = ThreadPoolExecutor(
    max_workers=max(1, (os.cpu_count() or 2) - 1), thread_name_prefix="bcrypt", initializer=_yield_to_the_event_loops
)


async def _in_pool(fn, *args):
    return await asyncio.get_running_loop().run_in_executor(_POOL, partial(fn, *args))


# One turn per bcrypt thread, plus one whose database work overlaps the hashing: more logins at once would
# only wait for a thread while holding a database connection each (a unit of work keeps its connection
# from the first query to the commit), and a burst of logins would starve every other request of the pool.
_TURNS = _POOL._max_workers + 1
_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def hashing_turn() -> asyncio.Semaphore:
    """Wait for this (async with) before opening the unit of work of a login: queued logins hold no connection.

    One semaphore per event loop (a backend worker has one; tests make many), first come, first served.
    """
    loop = asyncio.get_running_loop()
    turn = _turns.get(loop)
    if turn is None:
        turn = _turns[loop] = asyncio.Semaphore(_TURNS)
    return turn


def _prepare(password: str) -> bytes:
    # NFC at set time and at verify time, so "contraseña" typed either way matches.
    return unicodedata.normalize("NFC", password).encode("utf-8")


async def hash_password(password: str) -> str:
    """bcrypt hash at the configured cost, computed in the bcrypt pool (≈ 250 ms at cost 12)."""
    cost = get_settings().bcrypt_cost
    hashed = await _in_pool(bcrypt.hashpw, _prepare(password), bcrypt.gensalt(cost))
    return hashed.decode("ascii")


def _check(password: str, hashed: str) -> bool:
    data = _prepare(password)
    if len(data) > 72:  # bcrypt 5 raises; such a password was never accepted, so it cannot match
        return False
    try:
        return bcrypt.checkpw(data, hashed.encode("ascii"))
    except ValueError:
        return False


async def verify_password(password: str, hashed: str) -> bool:
    """True when password matches hashed; runs in a thread."""
    return await _in_pool(_check, password, hashed)


@lru_cache(maxsize=4)
def _dummy_hash(cost: int) -> str:
    return bcrypt.hashpw(b"dummy-password-for-timing", bcrypt.gensalt(cost)).decode("ascii")


async def dummy_verify(password: str) -> None:
    """Spend the same time as a real check, for unknown documents."""
    await _in_pool(_check, password[:72], _dummy_hash(get_settings().bcrypt_cost))


def needs_rehash(hashed: str) -> bool:
    """True when the stored hash was made with a lower cost than the current setting."""
    try:
        cost = int(hashed.split("$")[2])
    except (IndexError, ValueError):
        return True
    return cost < get_settings().bcrypt_cost


# --- the password policy (the manual's rules, plus bcrypt's limit and a blocklist) -------------------

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_BYTES = 72  # bcrypt's input limit: refuse, never truncate
_DISTRIBUTOR_WORDS = ("energia", "sanjuan", "autogestion", "distribuidora")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "@": "a", "$": "s", "5": "s", "7": "t"})
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_DIGITS = re.compile(r"[0-9]+")


@cache
def _common_passwords() -> frozenset[str]:
    """The shipped blocklist (lower-case, NFC), read once on first use."""
    text = resources.files("autogestion.data").joinpath("common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(
        unicodedata.normalize("NFC", line.strip()).lower()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


def _fold(text: str, *, leet: bool = False) -> str:
    """Lower-case ASCII letters and digits only: "Energía San-Juan" -> "energiasanjuan"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    if leet:
        plain = plain.translate(_LEET)
    return _NOT_ALNUM.sub("", plain)


def _has_lower(password: str) -> bool:
    return any(ch.islower() for ch in password)


def _has_upper(password: str) -> bool:
    return any(ch.isupper() for ch in password)


def _has_digit(password: str) -> bool:
    return any("0" <= ch <= "9" for ch in password)


def password_checks(password: str) -> list[tuple[str, bool]]:
    """The manual's four rules with whether ``password`` meets each, for the live checklist in the form.

    Args:
        password: the password being typed (anything that is not a string meets no rule).

    Returns:
        ``[(label, ok), ...]`` in the manual's order.
    """
    text = password if isinstance(password, str) else ""
    return [
        ("Mínimo 8 caracteres", len(unicodedata.normalize("NFC", text)) >= PASSWORD_MIN_LENGTH),
        ("Al menos una letra minúscula", _has_lower(text)),
        ("Al menos una letra mayúscula", _has_upper(text)),
        ("Al menos un número", _has_digit(text)),
    ]


def _password_error(message: str) -> ValidationError:
    return ValidationError(message, field="password")


def validate_password(password: str, *, doc_number: str = "", email: str = "", phone: str = "") -> None:
    """Check a new password against the manual's rule, bcrypt's limit, the blocklist and the person's data.

    The password is never stripped or changed: what is checked is exactly what will be hashed. Length
    counts code points of the NFC form; the byte limit takes the larger of the raw and NFC UTF-8 lengths,
    so the check holds whichever form the hasher receives.

    Args:
        password: the password as typed.
        doc_number: the normalised document number; refused inside the password when it has ≥ 6 characters.
        email: the e-mail (or its local part); the local part is refused when it has ≥ 4 characters.
        phone: the mobile number (E.164 or digits); its last 6 digits are refused.

    Raises:
        ValidationError: on field "password", with the first rule that fails.
    """
    if not isinstance(password, str) or password == "":
        raise _password_error("Ingresá una contraseña.")
    # A huge password fails the byte limit: answer before normalising or encoding a megabyte.
    if len(password) > PASSWORD_MAX_BYTES:
        raise _password_error(_too_many_bytes_message())
    if "\x00" in password or any(unicodedata.category(ch) == "Cs" for ch in password):
        raise _password_error("La contraseña tiene caracteres no válidos.")
    nfc = unicodedata.normalize("NFC", password)
    if len(nfc) < PASSWORD_MIN_LENGTH:
        raise _password_error("La contraseña debe tener al menos 8 caracteres.")
    if max(len(password.encode("utf-8")), len(nfc.encode("utf-8"))) > PASSWORD_MAX_BYTES:
        raise _password_error(_too_many_bytes_message())
    if not _has_lower(password):
        raise _password_error("La contraseña debe tener al menos una letra minúscula.")
    if not _has_upper(password):
        raise _password_error("La contraseña debe tener al menos una letra mayúscula.")
    if not _has_digit(password):
        raise _password_error("La contraseña debe tener al menos un número.")

    folded = _fold(password)
    doc = _fold(doc_number) if isinstance(doc_number, str) else ""
    if len(doc) >= 6 and doc in folded:
        raise _password_error("La contraseña no puede contener tu número de documento.")
    local = _fold(email.rsplit("@", 1)[0]) if isinstance(email, str) else ""
    if len(local) >= 4 and local in folded:
        raise _password_error("La contraseña no puede contener tu e-mail.")
    phone_digits = "".join(_DIGITS.findall(phone)) if isinstance(phone, str) else ""
    if len(phone_digits) >= 6 and phone_digits[-6:] in folded:
        raise _password_error("La contraseña no puede contener tu número de celular.")
    leet_folded = _fold(password, leet=True)
    if any(word in folded or word in leet_folded for word in _DISTRIBUTOR_WORDS):
        raise _password_error(
            "La contraseña no puede contener el nombre de la distribuidora ni palabras como «energía» o «San Juan»."
        )
    if nfc.lower() in _common_passwords():
        raise _password_error("Esa contraseña es muy común y fácil de adivinar. Elegí otra.")


def _too_many_bytes_message() -> str:
    return (
        "La contraseña no puede superar los 72 bytes: cada letra común ocupa 1, pero las letras con tilde "
        "y la ñ ocupan 2 y los emojis 4. Usá una más corta."
    )


def validate_password_repeat(password: str, repeat: str) -> None:
    """Check that "Repetir contraseña" equals the password, character by character (nothing is trimmed).

    Args:
        password: the password as typed.
        repeat: the repetition as typed.

    Raises:
        ValidationError: on field "password2".
    """
    if not isinstance(repeat, str) or repeat == "":
        raise ValidationError("Repetí la contraseña.", field="password2")
    if not isinstance(password, str) or password != repeat:
        raise ValidationError("Las contraseñas no coinciden.", field="password2")
