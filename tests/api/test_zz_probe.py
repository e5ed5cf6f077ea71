from tests import factories

def test_probe(session, client):
    s = factories.setting(session)
    for due in ["9999-06-01", "0001-01-05", "2035-01-01"]:
        r = client.post("/api/v1/families", json={"unit_id": s.bvc_id, "children": [{"expected_due_date": due}]})
        print(due, r.status_code)
        fid = r.json()["id"]
        client.post(f"/api/v1/families/{fid}/consents", json={"given_on": "2026-01-01"})
        r = client.post("/api/v1/enrollments", json={"family_id": fid, "nurse_id": s.nurse_id, "social_worker_id": s.social_worker_id})
        print(r.status_code, r.text[:300])
