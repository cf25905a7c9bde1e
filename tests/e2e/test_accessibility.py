"""axe-core on every customer page at desktop and phone widths: no serious or critical violation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import login

DEMO_DNI, DEMO_PASSWORD = "20123456", "Portal.Demo26"


@pytest.mark.parametrize("width", [1280, 375])
def test_customer_pages_have_no_serious_accessibility_violations(page, base_url, width):
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
    axe = axe_module.Axe()
    page.set_viewport_size({"width": width, "height": 900})
    found: list[str] = []

    def check(path: str, ready: str) -> None:
        page.goto(base_url + path)
        expect(page.get_by_role("heading", name=ready).first).to_be_visible(timeout=20_000)
        page.wait_for_timeout(300)  # the page's on_load fills it
        for violation in axe.run(page).response["violations"]:
            if violation.get("impact") in ("serious", "critical"):
                targets = [node["target"] for node in violation["nodes"]][:3]
                found.append(f"{path}: {violation['id']} {targets}")

    check("/", "Portal de Autogestión")
    check("/login", "Ingresar")
    check("/registro", "Crear una Cuenta")
    check("/recuperar", "Recuperar contraseña")
    login(page, base_url, DEMO_DNI, DEMO_PASSWORD)
    # The login ends on Mis Suministros (claim, cookie, reload): navigating before that would race it.
    expect(page).to_have_url(re.compile(r"/suministros/?$"), timeout=30_000)
    check("/suministros", "Mis Suministros")
    check("/suministros/asociar", "Asociar Suministro")
    check("/perfil", "Mi Perfil")
    check("/notificaciones", "Notificaciones")
    check("/tramites", "Trámites Comerciales")
    assert not found, "\n".join(found)
