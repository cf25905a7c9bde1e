"""Reading one uploaded file in a handler (Mi Perfil and Asociar Suministro), with one set of messages."""

from __future__ import annotations

import asyncio
from typing import NamedTuple

import reflex as rx

from autogestion.adapters.documents import MAX_UPLOAD_BYTES
from autogestion.models import DocumentKind
from autogestion.services.errors import ValidationError

ONE_FILE = "Subí un solo archivo."
TOO_BIG = "El archivo supera los 10 MB. Subí uno más liviano."
# What the browser's drop zone refused (type or size) before sending anything.
REFUSED_BY_BROWSER = {
    DocumentKind.DNI: "Elegí una foto JPEG o PNG de hasta 10 MB.",
    DocumentKind.PODER: "Elegí un PDF o una imagen JPEG o PNG de hasta 10 MB.",
}


class Upload(NamedTuple):
    data: bytes  # at most MAX_UPLOAD_BYTES + 1: the service refuses anything over the limit
    filename: str  # the client's name, for display only


async def read_single_upload(files: object) -> Upload:
    """The one file of an upload event, read off the event loop and never more than the limit + 1 byte.

    Args:
        files: The handler's `files` argument as received (a client can send anything).

    Returns:
        The bytes and the client's file name.

    Raises:
        ValidationError: Not exactly one file ("Subí un solo archivo."), or one declared over 10 MB.
    """
    if not isinstance(files, list) or len(files) != 1 or not isinstance(files[0], rx.UploadFile):
        raise ValidationError(ONE_FILE)
    upload = files[0]
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(TOO_BIG)
    data = await asyncio.to_thread(upload.file.read, MAX_UPLOAD_BYTES + 1)
    return Upload(data=data, filename=upload.filename or "")
