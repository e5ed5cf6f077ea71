import json

from app.config import Settings
from app.main import create_app


def openapi_text() -> str:
    """The OpenAPI document, byte-stable (sorted keys), independent of the configured database."""
    app = create_app(Settings(database_url="sqlite://"))
    try:
        return json.dumps(app.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    finally:
        app.state.engine.dispose()
