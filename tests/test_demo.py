"""`make run`'s demo: loads once, and its logins see the shipped templates through the API."""

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.config import Settings
from app.demo import DEMO_PASSWORD, load_demo
from app.families.models import Family
from app.main import create_app
from app.scheduling.models import Booking


def test_demo_loads_once_and_its_logins_work(session, clean_db, database_url):
    assert load_demo(session) is True
    assert load_demo(session) is False
    assert session.scalar(select(func.count()).select_from(Family)) == 12
    assert session.scalar(select(func.count()).select_from(Booking)) > 0
    session.rollback()
    app = create_app(Settings(database_url=database_url))
    try:
        with TestClient(app) as client:
            token = client.post(
                "/api/v1/auth/token",
                json={"username": "sjukskoterska", "password": DEMO_PASSWORD},
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            templates = client.get("/api/v1/program-templates", headers=headers).json()
            assert len(templates["items"]) == 5
            families = client.get("/api/v1/families", headers=headers).json()["items"]
            assert len(families) == 12
    finally:
        app.state.engine.dispose()
