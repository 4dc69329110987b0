"""Errors a service raises for bad requests. Each has a machine code and a translated message.

Views show ``message`` (and ``fields`` beside the form fields); the API returns them as JSON with
the HTTP status below. Anything else escaping a service is a bug.
"""

from django.utils.translation import gettext_lazy as _


class ServiceError(Exception):
    code = "invalid"
    status = 400
    default_message = _("The request is not valid.")

    def __init__(self, message=None, *, fields: dict[str, str] | None = None):
        self.message = message or self.default_message
        self.fields = fields or {}
        super().__init__(str(self.message))


class Invalid(ServiceError):
    code = "invalid"
    status = 422
    default_message = _("Some values are not valid.")


class NotAllowed(ServiceError):
    code = "forbidden"
    status = 403
    default_message = _("Your role does not allow this.")


class NotFound(ServiceError):
    code = "not_found"
    status = 404
    default_message = _("Not found.")


class Conflict(ServiceError):
    code = "conflict"
    status = 409
    default_message = _(
        "Someone else changed this incident after you opened it. Reload the page to see their change, then try again."
    )


class WrongState(ServiceError):
    code = "wrong_state"
    status = 409
    default_message = _("This cannot be done in the incident's current state.")


class RateLimited(ServiceError):
    code = "rate_limited"
    status = 429
    default_message = _(
        "Too many reports from your connection. Please wait an hour, or telephone the point of contact."
    )
