"""create_app(): routers, error handlers and the problem+json contract."""

from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import text

from app.audit.router import router as audit_router
from app.auth.deps import current_principal, requires
from app.auth.principal import Scope
from app.auth.router import public_router as public_auth_router
from app.auth.router import router as auth_router
from app.auth.tokens import Verifier
from app.availability.router import router as availability_router
from app.calendar.redaction import install_log_redaction
from app.calendar.router import feed_router as calendar_feed_router
from app.calendar.router import router as calendar_router
from app.config import Settings, get_settings
from app.db import make_engine, make_sessionmaker
from app.deps import SessionDep
from app.enrollments.router import router as enrollments_router
from app.errors import PROBLEM_MEDIA_TYPE, Problem, install_error_handlers
from app.families.router import router as families_router
from app.http.idempotency import document_idempotency, idempotency_guard
from app.http.middleware import install_http_hygiene
from app.imports.router import router as imports_router
from app.organizations.router import router as organizations_router
from app.programs.router import router as programs_router
from app.reports.router import router as reports_router
from app.scheduling.router import router as scheduling_router
from app.staff.router import router as staff_router
from app.webhooks.router import router as webhooks_router

API_PREFIX = "/api/v1"
PROBLEM_STATUSES = {
    "400": "Bad request",
    "401": "Authentication required",
    "403": "Your role lacks the scope",
    "404": "Not found",
    "409": "Conflict with stored data, or the Idempotency-Key's first request still runs",
    "422": "Invalid input (`errors` names each field), or an Idempotency-Key reused",
    "500": "Internal error",
    "503": "Database busy",
}


def _needs_credentials(dependant: Dependant) -> bool:
    return any(d.call is current_principal or _needs_credentials(d) for d in dependant.dependencies)


def _document_bearer(app: FastAPI, schema: dict[str, Any]) -> None:
    """Declare the bearer credential on every operation that demands one, so clients (and
    schemathesis's ignored_auth check) know which answer without: health, login, feeds."""
    schema["components"]["securitySchemes"] = {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A local account's token from POST /api/v1/auth/token, a JWT of a configured "
                "OIDC issuer, or an API key (hbk_…)"
            ),
        }
    }
    for route in iter_route_contexts(app.routes):
        original = route.original_route
        if not isinstance(original, APIRoute) or not route.path_format:
            continue
        guarded = any(dep.dependency is current_principal for dep in route.dependencies)
        if guarded or _needs_credentials(original.dependant):
            for method in route.methods or ():
                operation = schema["paths"].get(route.path_format, {}).get(method.lower())
                if operation is not None:
                    operation["security"] = [{"bearer": []}]


def _problem_openapi(app: FastAPI) -> dict[str, Any]:
    """OpenAPI where every error response is documented as application/problem+json."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(
        Problem.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs", {})
    )
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    problem = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path in schema.get("paths", {}).values():
        for method, operation in path.items():
            responses = operation.setdefault("responses", {})
            for code, description in PROBLEM_STATUSES.items():
                responses[code] = {"description": description, "content": problem}
            if method in {"post", "put", "patch"}:
                responses.setdefault(
                    "413", {"description": "The request body is too large", "content": problem}
                )
            if any(p.get("name") == "if-match" for p in operation.get("parameters", [])):
                responses["412"] = {
                    "description": "If-Match names an older version: fetch it again",
                    "content": problem,
                }
                responses["428"] = {
                    "description": "If-Match is required for this change",
                    "content": problem,
                }
    document_idempotency(app, schema)
    _document_bearer(app, schema)
    app.openapi_schema = schema
    return schema


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Hembesök",
        version="0.1.0",
        description=(
            "Joint BVC and socialtjänst home visits in extended home-visit programs: families, "
            "program templates, enrollments and visit plans. Errors are RFC 9457 problem+json."
        ),
    )
    engine = make_engine(
        settings.database_url,
        echo=settings.sql_echo,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        statement_timeout_ms=settings.statement_timeout_ms,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    install_error_handlers(app)

    app.state.verifier = Verifier(settings)

    # Every /api/v1 route needs a principal; each router states the scopes it needs. After
    # the scope check, POSTs honour Idempotency-Key (app/http/idempotency.py), except on the
    # routers whose responses carry a secret shown once (tokens, API keys, feed secrets):
    # those responses must never be stored.
    secret_bearing = (auth_router, calendar_router, webhooks_router)
    api = APIRouter(prefix=API_PREFIX, dependencies=[Depends(current_principal)])
    everyone = Scope.bookings_read  # all roles that work with visits (not auditors)
    for router, read, write in (
        (auth_router, None, None),  # per route
        (organizations_router, everyone, Scope.admin),
        (staff_router, everyone, Scope.admin),
        (programs_router, everyone, Scope.admin),
        (families_router, Scope.families_read, Scope.families_write),
        (enrollments_router, Scope.families_read, Scope.families_write),
        (availability_router, everyone, Scope.bookings_write),
        # Before scheduling: its /bookings/{booking_id} would otherwise take /bookings/5.ics.
        (calendar_router, Scope.bookings_read, Scope.bookings_write),
        (scheduling_router, Scope.bookings_read, Scope.bookings_write),
        (imports_router, Scope.admin, Scope.admin),
        (audit_router, Scope.audit_read, Scope.audit_read),
        (reports_router, Scope.bookings_read, Scope.admin),
        (webhooks_router, Scope.admin, Scope.admin),
    ):
        checks = [Depends(requires(read, write))] if read else []
        if router not in secret_bearing:
            checks.append(Depends(idempotency_guard))
        api.include_router(router, dependencies=checks)
    app.include_router(api)
    app.include_router(public_auth_router, prefix=API_PREFIX)
    # The secret in the feed's URL is its credential; it must not reach the access log.
    app.include_router(calendar_feed_router)
    install_log_redaction()
    install_http_hygiene(app, settings, api_prefix=API_PREFIX)

    @app.get("/health", tags=["health"])
    def health(session: SessionDep) -> dict[str, str]:
        session.execute(text("SELECT 1"))
        return {"status": "ok"}

    app.openapi = lambda: _problem_openapi(app)  # type: ignore[method-assign]
    return app
