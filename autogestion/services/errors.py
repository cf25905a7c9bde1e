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
    """Not authenticated (no session, or not allowed to do this)."""


class RefusedAttempt(DomainError):
    """A wrong guess: password, code, captcha, quiz answer, unknown supply number.

    The action is refused, but what the service wrote about the attempt (a failure counter, a burnt
    captcha, a spent code try) must stay written, or an attacker could guess for free. The unit of work
    (`db.session_scope`) always commits before letting this error through, so no caller can lose the
    count. A service raises it only after its counting writes and never after a business change.
    """


class WrongCredentials(RefusedAttempt):
    """Login or re-authentication refused (one generic message, the failure counted)."""
