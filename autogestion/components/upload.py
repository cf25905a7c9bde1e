"""The portal's upload drop zone: one file, checked by type and size in the browser and again on the server."""

from __future__ import annotations

import reflex as rx

from autogestion.adapters.documents import MAX_UPLOAD_BYTES
from autogestion.components.theme import MUTED, PRIMARY

IMAGES = {"image/jpeg": [".jpg", ".jpeg"], "image/png": [".png"]}
IMAGES_OR_PDF = {**IMAGES, "application/pdf": [".pdf"]}


def upload_box(*, upload_id: str, button: str, hint: str, accept: dict, on_upload, on_rejected) -> rx.Component:
    """A dashed drop zone with a button that opens the file chooser.

    Args:
        upload_id: The upload's id (also the element id tests use to reach its file input).
        button: The button's text, its accessible name.
        hint: What is accepted, under the button.
        accept: MIME types and extensions the browser may pick (IMAGES or IMAGES_OR_PDF).
        on_upload: The handler that receives the files (`files: list[rx.UploadFile]`).
        on_rejected: The handler told when the browser refused a file (type or size).
    """
    return rx.upload(
        rx.vstack(
            rx.icon("cloud-upload", size=28, color=PRIMARY),
            # Phones have nothing to drag from: there the button alone says what to do.
            rx.text("Arrastrá el archivo acá o", color=MUTED, font_size="0.9em", display=["none", "none", "block"]),
            rx.button(rx.icon("paperclip", size=16), button, type="button", variant="soft"),
            rx.text(hint, color=MUTED, font_size="0.8em", text_align="center"),
            align="center",
            spacing="2",
        ),
        id=upload_id,
        # react-dropzone's hidden file input has no label; the page script names it after this (axe "label").
        custom_attrs={"data-upload-label": f"Archivo elegido ({hint})"},
        accept=accept,
        multiple=False,
        max_files=1,
        max_size=MAX_UPLOAD_BYTES,
        on_drop=on_upload(rx.upload_files(upload_id=upload_id)),
        on_drop_rejected=on_rejected,
        border="2px dashed #b8c6d6",
        border_radius="12px",
        padding="1.25em",
        width="100%",
        background="#f8fafd",
        cursor="pointer",
    )
