from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.families.models import Child, Family, Guardian
from app.imports.service import import_families, import_staff
from app.staff.models import Staff
from tests import factories

BVC = "SE2321000000-BVC1"
STAFF_HEADER = "unit_hsa_id,given_name,family_name,profession,hsa_id,email,active"
FAMILY_HEADER = (
    "unit_hsa_id,street_address,postal_code,city,first_child,guardian1_given_name,"
    "guardian1_family_name,guardian1_identity_number,guardian2_given_name,"
    "guardian2_family_name,guardian2_identity_number,child_given_name,child_identity_number,"
    "child_expected_due_date,child_birth_date"
)


def pnr(born: date, serial: int) -> str:
    return factories.personnummer(born, serial)


def bad_check_digit(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def csv_text(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def staff_file_with_three_bad_rows() -> str:
    return csv_text(
        STAFF_HEADER,
        f"{BVC},Cecilia,Ek,bhv_nurse,SE2321000000-N100,cecilia.ek@example.se,true",
        f"{BVC},David,Lind,surgeon,SE2321000000-N101,,",
        "SE9999999999-NOPE,Eva,Holm,midwife,SE2321000000-N102,,",
        f"{BVC},Fia,Strand,social_worker,,,nej",
        f"{BVC},Gustav,Ek,bhv_nurse,SE2321000000-N100,,",
    )


def family_row(
    born: date | None = None,
    due: date | None = None,
    serial: int = 200,
    child_number: str | None = None,
    unit: str = BVC,
) -> str:
    number = child_number if child_number is not None else (pnr(born, serial) if born else "")
    return ",".join(
        [
            unit,
            "Storgatan 1",
            "123 45",
            "Testby",
            "ja",
            "Sara",
            "Ali",
            pnr(date(1994, 2, 3), serial),
            "Omar",
            "Ali",
            "",
            "Lilla",
            number,
            due.isoformat() if due else "",
            born.isoformat() if born else "",
        ]
    )


def test_valid_staff_file_creates_every_member(session):
    factories.setting(session)
    before = count(session, Staff)
    report = import_staff(
        session,
        csv_text(
            STAFF_HEADER,
            f"{BVC},Cecilia,Ek,bhv_nurse,SE2321000000-N100,cecilia.ek@example.se,true",
            f"{BVC},David,Lind,social_worker,,,ja",
            f"{BVC},Eva,Holm,midwife,SE2321000000-N102,,0",
        ),
        dry_run=False,
    )
    assert report.errors == []
    assert (report.rows, report.valid_rows, report.created, report.applied) == (3, 3, 3, True)
    session.expire_all()
    assert count(session, Staff) == before + 3
    eva = session.scalar(select(Staff).where(Staff.hsa_id == "SE2321000000-N102"))
    assert eva is not None and eva.active is False


def test_dry_run_reports_each_bad_row_by_line_and_column_and_writes_nothing(session):
    factories.setting(session)
    before = count(session, Staff)
    report = import_staff(session, staff_file_with_three_bad_rows(), dry_run=True)
    assert [(e.line, e.field) for e in report.errors] == [
        (3, "profession"),
        (4, "unit_hsa_id"),
        (6, "hsa_id"),
    ]
    assert "line 2" in report.errors[2].message
    assert (report.rows, report.valid_rows, report.created, report.applied) == (5, 2, 0, False)
    assert count(session, Staff) == before


def test_apply_with_bad_rows_writes_nothing(session):
    factories.setting(session)
    before = count(session, Staff)
    report = import_staff(session, staff_file_with_three_bad_rows(), dry_run=False)
    assert len(report.errors) == 3
    assert not report.applied
    assert report.created == 0
    session.expire_all()
    assert count(session, Staff) == before
    assert session.scalar(select(Staff).where(Staff.given_name == "Cecilia")) is None


def test_a_clean_dry_run_writes_nothing(session):
    factories.setting(session)
    before = count(session, Staff)
    report = import_staff(
        session, csv_text(STAFF_HEADER, f"{BVC},Cecilia,Ek,bhv_nurse,,,"), dry_run=True
    )
    assert (report.errors, report.valid_rows, report.created, report.applied) == ([], 1, 0, False)
    assert count(session, Staff) == before


def test_hsa_id_already_stored_is_reported_on_its_column(session):
    factories.setting(session)
    report = import_staff(
        session,
        csv_text(STAFF_HEADER, f"{BVC},Anna,Annan,bhv_nurse,SE2321000000-N001,,"),
        dry_run=True,
    )
    assert [(e.line, e.field) for e in report.errors] == [(2, "hsa_id")]
    assert "another staff member" in report.errors[0].message


def test_unit_id_column_works_instead_of_unit_hsa_id(session):
    setting = factories.setting(session)
    report = import_staff(
        session,
        csv_text(
            "unit_id,given_name,family_name,profession",
            f"{setting.social_unit_id},Hanna,Berg,social_worker",
            "999999,Ivar,Berg,social_worker",
        ),
        dry_run=True,
    )
    assert [(e.line, e.field, e.message) for e in report.errors] == [(3, "unit_id", "no such unit")]


def test_boolean_cells_accept_swedish_and_refuse_other_words(session):
    factories.setting(session)
    report = import_staff(
        session,
        csv_text(
            STAFF_HEADER,
            f"{BVC},A,B,bhv_nurse,,,JA",
            f"{BVC},C,D,bhv_nurse,,,Nej",
            f"{BVC},E,F,bhv_nurse,,,yes",
        ),
        dry_run=True,
    )
    assert [(e.line, e.field) for e in report.errors] == [(4, "active")]


def test_invalid_child_personnummer_is_reported_on_child_identity_number(session):
    factories.setting(session)
    born = date(2025, 6, 1)
    report = import_families(
        session,
        csv_text(
            FAMILY_HEADER,
            family_row(born=born, serial=201),
            family_row(born=born, child_number=bad_check_digit(pnr(born, 202)), serial=202),
        ),
        dry_run=True,
    )
    assert [(e.line, e.field) for e in report.errors] == [(3, "child_identity_number")]
    assert "personnummer" in report.errors[0].message


def test_valid_families_file_creates_families_guardians_and_children(session):
    factories.setting(session)
    report = import_families(
        session,
        csv_text(
            FAMILY_HEADER,
            family_row(born=date(2025, 6, 1), serial=201),
            family_row(due=date(2027, 1, 10), serial=202),
        ),
        dry_run=False,
    )
    assert report.errors == []
    assert report.created == 2
    session.expire_all()
    families = session.scalars(select(Family).order_by(Family.id)).all()
    assert len(families) == 2
    assert len({f.reference_code for f in families}) == 2
    assert all(f.first_child for f in families)
    assert count(session, Guardian) == 4
    assert count(session, Child) == 2


def test_family_rows_are_checked_with_the_api_rules(session):
    factories.setting(session)
    born = date(2025, 6, 1)
    bad_guardian = family_row(born=born, serial=203).replace(
        ",Omar,Ali,,", f",Omar,Ali,{bad_check_digit(pnr(date(1990, 1, 1), 5))},"
    )
    report = import_families(
        session,
        csv_text(
            FAMILY_HEADER,
            family_row(serial=201),
            family_row(born=born, serial=202, unit="SE9999999999-NOPE"),
            bad_guardian,
            family_row(born=born, serial=204).replace("123 45", "1234"),
        ),
        dry_run=True,
    )
    assert [(e.line, e.field) for e in report.errors] == [
        (2, "child_expected_due_date"),
        (3, "unit_hsa_id"),
        (4, "guardian2_identity_number"),
        (5, "postal_code"),
    ]
    assert report.errors[0].message == "expected_due_date or birth_date is required"


def test_family_at_a_social_services_unit_is_refused(session):
    setting = factories.setting(session)
    header = FAMILY_HEADER.replace("unit_hsa_id", "unit_id")
    row = family_row(due=date(2027, 1, 10)).replace(BVC, str(setting.social_unit_id))
    report = import_families(session, csv_text(header, row), dry_run=True)
    assert [(e.line, e.field, e.message) for e in report.errors] == [
        (2, "unit_id", "a family belongs to a BVC unit")
    ]


def test_same_child_twice_in_the_file_or_already_stored_is_reported(session):
    setting = factories.setting(session)
    born = date(2025, 6, 1)
    factories.family(session, setting.bvc_id, born=born, serial=300)
    twelve_digits = pnr(born, 301).replace("-", "")
    report = import_families(
        session,
        csv_text(
            FAMILY_HEADER,
            family_row(born=born, serial=301),
            family_row(born=born, serial=302, child_number=twelve_digits),
            family_row(born=born, serial=300),
        ),
        dry_run=True,
    )
    assert [(e.line, e.field) for e in report.errors] == [
        (3, "child_identity_number"),
        (4, "child_identity_number"),
    ]
    assert "line 2" in report.errors[0].message
    assert "already registered" in report.errors[1].message


def test_semicolon_delimited_file_with_bom_and_crlf_is_read(session):
    factories.setting(session)
    text = "\ufeff" + "\r\n".join(
        [
            "unit_hsa_id;given_name;family_name;profession;hsa_id",
            f"{BVC};Åsa;Öberg;bhv_nurse;SE2321000000-N200",
            f"{BVC};Örjan;Ärlig;social_worker;",
        ]
    )
    report = import_staff(session, text.encode(), dry_run=False)
    assert report.errors == []
    assert report.created == 2
    session.expire_all()
    assert session.scalar(select(Staff.family_name).where(Staff.given_name == "Åsa")) == "Öberg"


def test_unknown_column_is_a_line_1_error_and_nothing_is_read(session):
    factories.setting(session)
    report = import_staff(
        session,
        csv_text(STAFF_HEADER + ",telefon", f"{BVC},A,B,bhv_nurse,,,,070"),
        dry_run=False,
    )
    assert [(e.line, e.field) for e in report.errors] == [(1, "telefon")]
    assert report.rows == 0
    assert not report.applied


def test_missing_required_columns_are_line_1_errors(session):
    factories.setting(session)
    report = import_staff(session, csv_text("given_name,profesion", "A,bhv_nurse"), dry_run=True)
    assert [(e.line, e.field) for e in report.errors] == [
        (1, "profesion"),
        (1, "family_name"),
        (1, "profession"),
        (1, "unit_hsa_id"),
    ]
    assert "did you mean profession?" in report.errors[0].message


def test_line_numbers_count_line_breaks_inside_quoted_cells(session):
    factories.setting(session)
    report = import_families(
        session,
        csv_text(
            FAMILY_HEADER,
            family_row(due=date(2027, 1, 10), serial=401).replace(
                "Storgatan 1", '"Storgatan 1\nLägenhet 1102"'
            ),
            family_row(due=date(2027, 1, 10), serial=402).replace("Testby", "x" * 101),
        ),
        dry_run=True,
    )
    assert [(e.line, e.field) for e in report.errors] == [(2, "street_address"), (4, "city")]


def test_rows_beyond_the_cap_are_refused(session):
    factories.setting(session)
    rows = [f"{BVC},A{i},B,bhv_nurse,,," for i in range(3)]
    report = import_staff(session, csv_text(STAFF_HEADER, *rows), dry_run=False, max_rows=2)
    assert [(e.line, e.field) for e in report.errors] == [(4, "file")]
    assert not report.applied


def test_a_row_with_more_cells_than_columns_is_refused(session):
    factories.setting(session)
    report = import_staff(
        session, csv_text(STAFF_HEADER, f"{BVC},A,B,bhv_nurse,,,,extra"), dry_run=True
    )
    assert [(e.line, e.field) for e in report.errors] == [(2, "row")]


def test_text_that_is_not_utf8_is_reported_with_its_line(session):
    factories.setting(session)
    data = csv_text(STAFF_HEADER, f"{BVC},A,B,bhv_nurse,,,").encode() + "Ö,x\n".encode("cp1252")
    report = import_staff(session, data, dry_run=True)
    assert [(e.line, e.field) for e in report.errors] == [(3, "file")]


def test_blank_rows_are_skipped_and_progress_is_reported_per_row(session):
    factories.setting(session)
    seen: list[int] = []
    report = import_staff(
        session,
        csv_text(STAFF_HEADER, f"{BVC},A,B,bhv_nurse,,,", ",,,,,,", "", f"{BVC},C,D,midwife,,,"),
        dry_run=True,
        progress=seen.append,
    )
    assert report.errors == []
    assert report.rows == 2
    assert sum(seen) == 2
