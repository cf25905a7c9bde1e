"""What a tab shows while it cannot reach the portal (a restart of the backend, a phone that lost signal).

Reflex's own overlay said, in English, "Cannot connect to server: websocket error. Check if server is
reachable at wss://…/_event" (and the same as a tooltip on a pulsing icon): not the manual's language, and
nothing a customer can act on. This one says what happens in Spanish and that nothing needs to be done: the
tab reconnects by itself, and the session lives in PostgreSQL, so the customer stays logged in.
"""

from __future__ import annotations

import reflex as rx
from reflex.components.core.banner import has_too_many_connection_errors

from autogestion.components.theme import ACCENT, PRIMARY_DARK

LOST = "Se perdió la conexión con el portal. Estamos reintentando: no hace falta recargar la página."


def connection_notice(stateful: bool = True) -> rx.Component | None:
    """The overlay of every page with state (Reflex's app wrap "Overlay"): a fragment, because Reflex nests
    the next wraps and the page inside it, after the notice. The live region is always in the page, so screen
    readers announce the message when it appears; Reflex counts a lost connection from the second failed
    attempt, as its own toast did."""
    if not stateful:
        return None
    return rx.fragment(_notice())


def _notice() -> rx.Component:
    return rx.box(
        rx.cond(
            has_too_many_connection_errors,
            rx.hstack(
                rx.icon("wifi-off", size=18, color=PRIMARY_DARK, aria_hidden="true", flex_shrink="0"),
                rx.text(LOST, size="2", color=PRIMARY_DARK, weight="medium"),
                align="center",
                spacing="2",
                background="white",
                border_left=f"4px solid {ACCENT}",
                border_radius="10px",
                box_shadow="0 4px 16px rgba(16,24,40,.18)",
                padding="0.75em 1em",
                max_width="34em",
            ),
        ),
        # A live region without role="status": the pages' own notices are the page's status.
        aria_live="polite",
        aria_atomic="true",
        position="fixed",
        bottom="1em",
        left="50%",
        transform="translateX(-50%)",
        width="calc(100% - 2em)",
        max_width="34em",
        z_index="1000",
        pointer_events="none",
    )
