"""Pure-ASGI middlewares: request body size limit and security headers; wiring incl. CORS.

Order, outermost first: security headers (outside Starlette's ServerErrorMiddleware, so even
an unhandled error's 500 carries them), CORS (only when configured), body size limit,
idempotency keys, then FastAPI's exception handling and the routes. None of them buffers a
response, so streaming responses stream as before.
"""

from collections.abc import Iterable

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.errors import ProblemError, problem_response

API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI and ReDoc as FastAPI serves them: scripts and styles from jsDelivr, an inline
# bootstrap script, ReDoc's Google fonts and blob: web worker, and calls back to this origin.
DOCS_CSP = (
    "default-src 'none'; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.jsdelivr.net; "
    "connect-src 'self'; "
    "worker-src 'self' blob:; "
    "frame-ancestors 'none'"
)
HSTS = "max-age=31536000"


class PayloadTooLarge(ProblemError):
    status = 413
    slug = "payload-too-large"
    title = "Payload too large"


def _too_large(max_bytes: int, path: str) -> ASGIApp:
    return problem_response(
        413,
        PayloadTooLarge.title,
        PayloadTooLarge.slug,
        detail=f"the request body is larger than {max_bytes} bytes",
        instance=path,
    )


class BodySizeLimitMiddleware:
    """413 for a body over max_bytes: by Content-Length up front, else while it streams in."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, exempt_prefixes: Iterable[str]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt = tuple(exempt_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope["headers"] if k.lower() == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _too_large(self.max_bytes, scope["path"])(scope, receive, send)
            return

        received = 0
        exceeded = False  # the body went over the limit while the app read it
        started = False  # a response has begun
        replaced = False  # we answered 413 in place of the app's response

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    # FastAPI re-raises an HTTPException met while reading the body, so the
                    # app's handler renders it as a 413 problem.
                    raise HTTPException(413, f"the request body is larger than {self.max_bytes}")
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started, replaced
            if replaced:
                return
            if message["type"] == "http.response.start":
                if exceeded and message["status"] != 413:
                    # Something turned the error into another response: answer 413 instead.
                    replaced = started = True
                    await _too_large(self.max_bytes, scope["path"])(scope, receive, send)
                    return
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except HTTPException as exc:
            if not (exceeded and exc.status_code == 413 and not started):
                raise
            await _too_large(self.max_bytes, scope["path"])(scope, receive, send)


class SecurityHeadersMiddleware:
    """Headers every response carries; the route's own values win where it set them."""

    def __init__(self, app: ASGIApp, *, api_prefix: str, docs_paths: Iterable[str]) -> None:
        self.app = app
        self.api_prefix = api_prefix.rstrip("/") + "/"
        self.docs_paths = frozenset(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        csp = DOCS_CSP if path in self.docs_paths else API_CSP
        https = scope.get("scheme") == "https"
        api = path.startswith(self.api_prefix)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("Content-Security-Policy", csp)
                if https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
                if api:
                    # Health and social-services data: no shared or browser cache keeps it.
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_http_hygiene(app: FastAPI, settings: Settings, *, api_prefix: str) -> None:
    """Add the middlewares (innermost first) and wrap the stack in the security headers."""
    from app.http.idempotency import install_idempotency

    install_idempotency(app, prefix=api_prefix)
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        exempt_prefixes=[f"{api_prefix}/imports/"],  # their own import_max_bytes applies
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-Match"],
            expose_headers=["ETag", "Location", "Retry-After", "Idempotent-Replayed"],
            max_age=600,
        )
    docs_paths = {p for p in (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url) if p}
    build_stack = app.build_middleware_stack

    def build_with_security_headers() -> ASGIApp:
        return SecurityHeadersMiddleware(
            build_stack(), api_prefix=api_prefix, docs_paths=docs_paths
        )

    app.build_middleware_stack = build_with_security_headers  # type: ignore[method-assign]
