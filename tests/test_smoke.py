from tests import factories


def test_health_answers_ok(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_templates_listed(client):
    response = client.get("/api/v1/program-templates")
    assert response.status_code == 200
    names = [t["key"] for t in response.json()["items"]]
    assert len(names) == 5


def test_enroll(session, client):
    s = factories.setting(session)
    from datetime import date
    fam = factories.family(session, s.bvc_id, due=date(2027, 3, 15))
    r = client.post("/api/v1/enrollments", json={"family_id": fam.id, "nurse_id": s.nurse_id, "social_worker_id": s.social_worker_id, "enrolled_on": "2026-11-01"})
    assert r.status_code == 201, r.text
    print(r.json())
