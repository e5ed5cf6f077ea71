"""Domain errors and their RFC 9457 problem+json rendering."""

import functools
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://hembesok.se/problems/"

log = logging.getLogger("hembesok.errors")


class FieldError(BaseModel):
    field: str = Field(
        description="Dotted path of the offending field, e.g. children.0.identity_number"
    )
    message: str
    line: int | None = Field(default=None, description="Line number, for file imports")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] = Field(default_factory=list)


class ProblemError(Exception):
    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = errors or []
        self.headers = headers


class Unauthorized(ProblemError):
    status = 401
    slug = "unauthorized"
    title = "Authentication required"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="hembesok"'})


class Forbidden(ProblemError):
    status = 403
    slug = "forbidden"
    title = "Forbidden"


class NotFound(ProblemError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(ProblemError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class InvalidInput(ProblemError):
    status = 422
    slug = "validation-error"
    title = "Invalid input"

    @classmethod
    def on(cls, field: str, message: str) -> "InvalidInput":
        return cls(f"{field}: {message}", errors=[FieldError(field=field, message=message)])


class ConsentRequired(ProblemError):
    status = 409
    slug = "consent-required"
    title = "Consent required"


class PreconditionFailed(ProblemError):
    status = 412
    slug = "precondition-failed"
    title = "Precondition failed"


class PreconditionRequired(ProblemError):
    status = 428
    slug = "precondition-required"
    title = "Precondition required"


def problem_response(
    status: int,
    title: str,
    slug: str,
    *,
    detail: str | None = None,
    errors: list[FieldError] | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        type=PROBLEM_BASE + slug,
        title=title,
        status=status,
        detail=detail,
        instance=instance,
        errors=errors or [],
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:] or parts
    return ".".join(parts) or "body"


# A check across fields has no location of its own, so our model validators start the message
# with the field they are about ("visits.2.window_end: ..."); that belongs in the path.
_NAMED_FIELD = re.compile(r"([a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)*): (.+)", re.DOTALL)


def _validation_errors(exc: RequestValidationError) -> list[FieldError]:
    result = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        message = str(err.get("msg", "invalid value"))
        # pydantic prefixes messages raised by our validators with "Value error, "
        message = message.removeprefix("Value error, ")
        named = _NAMED_FIELD.fullmatch(message) if err.get("type") == "value_error" else None
        if named:
            loc = (*loc, *named.group(1).split("."))
            message = named.group(2)
        result.append(FieldError(field=_field_path(loc), message=message))
    return result


def allowed_methods(app: FastAPI, path: str) -> set[str]:
    """Every method some route answers at this path (RFC 9110: a 405 lists them all)."""
    methods: set[str] = set()
    for route in iter_route_contexts(app.routes):
        if route.path_format and route.methods and _path_regex(route.path_format).match(path):
            methods |= route.methods
    return methods


@functools.cache
def _path_regex(path_format: str) -> re.Pattern[str]:
    return compile_path(path_format)[0]


_HTTP_TITLES = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.title,
            exc.slug,
            detail=exc.detail,
            errors=exc.errors,
            instance=request.url.path,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
        return problem_response(
            422,
            "Invalid input",
            "validation-error",
            detail=detail,
            errors=errors,
            instance=request.url.path,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug, title = _HTTP_TITLES.get(exc.status_code, ("http-error", "HTTP error"))
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            # Starlette names only the first route of the path; GET and POST are two routes.
            methods = allowed_methods(request.app, request.url.path)
            headers = {**(headers or {}), "Allow": ", ".join(sorted(methods))}
        return problem_response(
            exc.status_code,
            title,
            slug,
            detail=detail,
            instance=request.url.path,
            headers=headers,
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # The database message names ids and values of other rows: never pass it on.
        log.warning("integrity error on %s %s", request.method, request.url.path)
        return problem_response(
            409,
            "Conflict",
            "conflict",
            detail="The change conflicts with data already stored.",
            instance=request.url.path,
        )

    async def _out_of_range(request: Request, exc: Exception) -> JSONResponse:
        # An id past the database's integer range (PostgreSQL's DataError, SQLite's
        # OverflowError) or a date past the calendar: the client's input, and the database
        # message would quote it back, so say only that.
        log.warning("value out of range on %s %s", request.method, request.url.path)
        return problem_response(
            422,
            "Invalid input",
            "validation-error",
            detail="A number or date in the request is out of range.",
            instance=request.url.path,
        )

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> JSONResponse:
        # Another writer changed the row between our If-Match check and our UPDATE.
        return problem_response(
            412,
            "Precondition failed",
            "precondition-failed",
            detail="The resource changed while you were changing it; fetch it again.",
            instance=request.url.path,
        )

    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(DataError, _out_of_range)

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable on %s %s", request.method, request.url.path)
        return problem_response(
            503,
            "Service unavailable",
            "unavailable",
            detail="The database is busy; try again.",
            instance=request.url.path,
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            500,
            "Internal server error",
            "internal",
            instance=request.url.path,
        )
