"""Links in e-mails come only from AUTOGESTION_BASE_URL, never from a request's Host header."""

from __future__ import annotations

import re
from pathlib import Path

from autogestion.config import get_settings
from tests.unit.services.supply_helpers import MARIA_SUPPLY, link, outbox

SOURCE = Path(__file__).resolve().parents[3] / "autogestion"
URL = re.compile(r"https?://[^\s\"'<>]+")


async def test_every_link_in_the_outbox_starts_with_the_base_url(monkeypatch, session, juan, maria, tmp_path):
    monkeypatch.setenv("AUTOGESTION_BASE_URL", "https://autogestion.example.com.ar")
    get_settings.cache_clear()
    await link(session, juan, MARIA_SUPPLY, tmp_path, poder=True)  # María gets "yo no autoricé esto"
    bodies = [m.body for m in await outbox(session)]
    urls = [url for body in bodies for url in URL.findall(body)]
    assert urls, bodies  # the holder's e-mail carries a link
    assert all(url.startswith("https://autogestion.example.com.ar/") for url in urls), urls


def test_no_code_builds_addresses_from_the_request():
    """The only places that read the Host (or the request's own URL) are the same-origin check of the
    session endpoints; nothing that writes a notice or a link can."""
    readers = re.compile(
        r"""headers\.get\(\s*["'](host|x-forwarded-host)["']|\["host"\]|router\.page\.(host|full_raw_path)|"""
        r"""request\.(url|base_url)\b|\.netloc\b"""
    )
    found = {
        f"{path.relative_to(SOURCE)}:{number}"
        for path in SOURCE.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if readers.search(line)
    }
    assert found and all(place.startswith("http.py:") for place in found), found
    http = (SOURCE / "http.py").read_text(encoding="utf-8")
    for place in found:
        line = http.splitlines()[int(place.split(":")[1]) - 1]
        assert "origin ==" in line or "request.url.path" in line, line
