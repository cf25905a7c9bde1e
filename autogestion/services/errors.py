"""Domain exceptions: each carries the Spanish message the page shows to the person."""

from __future__ import annotations


class DomainError(Exception):
    """A rule said no. `message` is safe to show; `field` names the form field it belongs to, if any."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(DomainError):
    """An input is malformed."""


class NotFound(DomainError):
    """The thing does not exist or does not belong to the caller (the two are indistinguishable)."""


class RateLimited(DomainError):
    """Too many attempts or sends; try later."""


class AuthError(DomainError):
    """Not authenticated, or the credentials are wrong (always the generic message)."""
