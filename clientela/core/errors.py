"""One error type for business-rule violations, rendered the same way by the UI and the API."""

from __future__ import annotations


class BusinessError(Exception):
    """A request that breaks a business rule.

    `errors` maps a field name (or "__all__") to messages so forms and the API can show them
    next to the right field. `status` is the HTTP status the API answers with.
    """

    status = 400

    def __init__(
        self, message: str, *, errors: dict[str, list[str]] | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        if status is not None:
            self.status = status
        elif self.errors and type(self).status == 400:
            # A rule broken by particular fields is unprocessable input, like a validation error.
            self.status = 422


class ConflictError(BusinessError):
    """The record changed or exists already (HTTP 409)."""

    status = 409


class PermissionDeniedError(BusinessError):
    """The user may see the record but not do this to it (HTTP 403)."""

    status = 403


def validation_messages(exc: Exception) -> dict[str, list[str]]:
    """Field → messages from a Django ValidationError (or any exception, as a form-wide error)."""
    error_dict = getattr(exc, "error_dict", None)
    if error_dict is not None:
        return {field: [str(m) for err in errs for m in err.messages] for field, errs in error_dict.items()}
    messages = getattr(exc, "messages", None) or [str(exc)]
    return {"__all__": [str(m) for m in messages]}
