"""Bits several public pages share: the document-type options (from models.DOCUMENT_TYPES)."""

from autogestion.models import DOCUMENT_TYPES

DOC_TYPE_OPTIONS = [(code, long) for code, (_, long) in DOCUMENT_TYPES.items()]
