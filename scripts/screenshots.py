"""Screenshots of pages at desktop and phone widths: `python scripts/screenshots.py URL OUTDIR path [path …]`.

Paths may carry a login first: `login:DNI:PASSWORD` logs in (captcha test answer PRUEBA) before the next paths.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.harness import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (the repository's root first)


def main() -> None:
    base, out, *paths = sys.argv[1:]
    Path(out).mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM or "/usr/bin/chromium", args=CHROMIUM_ARGS)
        for width, height, tag in ((1280, 900, "desktop"), (375, 812, "phone")):
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on("pageerror", lambda e: print("PAGEERROR", e))
            for path in paths:
                if path.startswith("login:"):
                    _, dni, password = path.split(":")
                    page.goto(base + "/login")
                    page.get_by_label("Número de documento").fill(dni)
                    page.get_by_label("Contraseña").fill(password)
                    page.get_by_label("Código de seguridad").fill("PRUEBA")
                    page.get_by_role("button", name="Ingresar").click()
                    page.wait_for_url("**/suministros**", timeout=20000)
                    continue
                page.goto(base + path)
                page.wait_for_timeout(1500)
                name = path.strip("/").replace("/", "_") or "index"
                page.screenshot(path=f"{out}/{name}-{tag}.png", full_page=True)
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
