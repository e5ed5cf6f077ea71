"""HTTP hygiene shared by every route: idempotency keys, body limits, security headers, CORS."""
