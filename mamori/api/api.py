"""The HTTP API: /api/v1/…, OpenAPI at /api/openapi.json. Errors are JSON with a machine code
and a message in the caller's language; bad input is always 4xx."""

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import django_auth

from mamori.incidents.api import router as incidents_router
from mamori.incidents.errors import ServiceError
from mamori.intake.api import router as intake_router

from .auth import BearerToken

api = NinjaAPI(
    title="Mamori API",
    version="1",
    urls_namespace="api",
    auth=[BearerToken(), django_auth],
    docs_url=None,  # Swagger UI would load from a CDN; closed networks have none.
)
api.add_router("/v1/", intake_router)
api.add_router("/v1/", incidents_router)


def error(request, status: int, code: str, message: str, fields: dict | None = None):
    body: dict[str, object] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return api.create_response(request, body, status=status)


@api.exception_handler(ServiceError)
def service_error(request, exc: ServiceError):
    return error(request, exc.status, exc.code, str(exc.message), {k: str(v) for k, v in exc.fields.items()})


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    fields = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "form", "payload")]
        fields[".".join(loc) or "body"] = _("invalid value: %(detail)s") % {"detail": err.get("msg", "")}
    return error(request, 422, "invalid", _("Some values are not valid."), fields)


@api.exception_handler(AuthenticationError)
def authentication_error(request, exc):
    return error(request, 401, "unauthenticated", _("Give a valid API token: Authorization: Bearer <token>."))


@api.exception_handler(Http404)
def not_found(request, exc):
    return error(request, 404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return error(request, exc.status_code, "error", str(exc))
