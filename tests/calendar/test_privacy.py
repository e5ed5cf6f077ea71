"""No family member's name, identity number, phone number or protected address in any feed."""

from datetime import date

from sqlalchemy.orm import Session

from app.enrollments import service as enrollments
from app.enrollments.schemas import EnrollmentIn
from app.families import service as families
from app.families.schemas import ChildIn, ConsentIn, FamilyIn, GuardianIn
from tests import factories
from tests.api.support import patch
from tests.calendar.conftest import (
    API,
    feed_path,
    follow_up,
    local,
    staff_token,
    unit_token,
)


def _family(
    session: Session,
    s: factories.Setting,
    *,
    guardians: list[tuple[str, str, date, int, str]],
    child: tuple[str, str, date, int],
    address: tuple[str, str, str],
    protected: bool,
) -> tuple[int, list[str]]:
    """A family in the program; returns its id and every piece of it that must not leak."""
    street, postal_code, city = address
    data = FamilyIn(
        unit_id=s.bvc_id,
        street_address=street,
        postal_code=postal_code,
        city=city,
        protected_identity=protected,
        interpreter_language="somaliska",
        guardians=[
            GuardianIn(
                given_name=given,
                family_name=family_name,
                identity_number=factories.personnummer(born, serial),
                phone=phone,
                email=f"{given.lower()}@example.se",
            )
            for given, family_name, born, serial, phone in guardians
        ],
        children=[
            ChildIn(
                given_name=child[0],
                family_name=child[1],
                birth_date=child[2],
                identity_number=factories.personnummer(child[2], child[3]),
            )
        ],
    )
    created = families.create_family(session, data)
    families.add_consent(session, created.id, ConsentIn(given_on=date(2026, 1, 1)))
    enrollments.enroll(
        session,
        EnrollmentIn(
            family_id=created.id,
            nurse_id=s.nurse_id,
            social_worker_id=s.social_worker_id,
            enrolled_on=date(2026, 2, 1),
        ),
    )
    secrets: list[str] = []
    for given, family_name, born, serial, phone in guardians:
        secrets += [given, family_name, f"{given} {family_name}", f"{given.lower()}@example.se"]
        secrets += _identity_forms(factories.personnummer(born, serial))
        secrets += _phone_forms(phone)
    secrets += [child[0], child[1], *_identity_forms(factories.personnummer(child[2], child[3]))]
    if protected:
        secrets += [street, postal_code, city]
    return created.id, secrets


def _identity_forms(number: str) -> list[str]:
    digits = number.replace("-", "")
    return [number, digits, digits[2:], f"{digits[2:8]}-{digits[8:]}"]


def _phone_forms(phone: str) -> list[str]:
    digits = "".join(c for c in phone if c.isdigit())
    national = "0" + digits[2:] if phone.startswith("+46") else digits
    return [phone, digits, national, "+46" + national[1:]]


def _texts(body: bytes) -> list[str]:
    """The bytes as sent, and unfolded and unescaped, so a name split by folding is found too."""
    raw = body.decode("utf-8")
    unfolded = raw.replace("\r\n ", "").replace("\r\n\t", "")
    unescaped = unfolded.replace("\\,", ",").replace("\\;", ";").replace("\\n", "\n")
    return [raw, unfolded, unescaped]


def test_no_feed_or_invitation_holds_a_name_identity_number_phone_or_protected_address(
    client, session, parse_all
):
    s = factories.setting(session)
    open_id, open_secrets = _family(
        session,
        s,
        guardians=[
            ("Signe", "Lindqvist", date(1988, 4, 12), 234, "070-123 45 67"),
            ("Omar", "Haddad", date(1986, 11, 3), 571, "+46 73 555 12 34"),
        ],
        child=("Tove", "Lindqvistsdotter", date(2026, 1, 12), 348),
        address=("Björkvägen 12", "11122", "Öppetby"),
        protected=False,
    )
    hidden_id, hidden_secrets = _family(
        session,
        s,
        guardians=[("Hemlighild", "Skyddadsson", date(1990, 2, 27), 812, "0739-87 65 43")],
        child=("Dolly", "Skyddadsdotter", date(2026, 1, 20), 429),
        address=("Gömda gränd 9", "98765", "Fristadby"),
        protected=True,
    )
    session.rollback()
    patch(client, f"{API}/organizations/{s.region_id}", json={"addresses_in_feeds": True})
    patch(client, f"{API}/staff/{s.nurse_id}", json={"email": "anna@bvc.example"})
    externals = [
        {"kind": "interpreter", "language": "somaliska", "name": "Tolkia Tolksson"},
        {"kind": "midwife", "name": "Barbro Barnmorsk", "contact": "070-999 88 77"},
    ]
    leaks = [
        *open_secrets,
        *hidden_secrets,
        "Tolkia",
        "Tolksson",
        "Barbro Barnmorsk",
        "070-999 88 77",
        "0709998877",
        "Ring på hos",
    ]
    bookings = []
    for family_id, day in [(open_id, 18), (hidden_id, 19), (open_id, 23), (hidden_id, 24)]:
        response = client.post(
            f"{API}/bookings",
            json={
                "family_id": family_id,
                "starts_at": local(2026, 3, day, 9).isoformat(),
                "location_note": "Ring på hos Lindqvist/Skyddadsson, port 2",
                "externals": externals,
            },
        )
        assert response.status_code == 201, response.text
        bookings.append(response.json())
    bookings.append(follow_up(client, hidden_id, local(2026, 3, 26, 13)))
    client.post(f"{API}/bookings/{bookings[2]['id']}/cancellation", json={"reason": "family"})

    bodies = [
        client.get(feed_path(created)).content
        for created in (
            staff_token(client, s.nurse_id),
            staff_token(client, s.social_worker_id),
            unit_token(client, s.bvc_id),
            unit_token(client, s.social_unit_id),
        )
    ]
    bodies += [client.get(f"{API}/bookings/{b['id']}.ics").content for b in bookings]
    for body in bodies:
        method = next((m for m in ("REQUEST", "CANCEL") if b"METHOD:" + m.encode() in body), None)
        _, seen = parse_all(body, method=method)
        assert seen["events"], "every feed here has visits to look through"
    for body in bodies:
        for text in _texts(body):
            lowered = text.casefold()
            found = [leak for leak in leaks if leak.casefold() in lowered]
            assert found == [], f"{found} in {body[:80]!r}…"

    # The checks can see what they look for: the open family's address is allowed in feeds.
    nurse_feed = "".join(_texts(bodies[0]))
    assert "Björkvägen 12, 11122 Öppetby" in nurse_feed
    assert "somaliska" in nurse_feed
