"""participant_calendars: what the database holds, as intervals for the slot finder."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from app.availability import service
from app.availability.calendar import Interval
from app.availability.models import AbsenceKind
from app.availability.schemas import (
    AbsenceIn,
    BlockedTimeIn,
    ClosedDayIn,
    OverrideIn,
    WorkingHoursIn,
)
from app.clock import STOCKHOLM
from app.errors import NotFound
from app.scheduling.models import (
    Booking,
    BookingKind,
    BookingLocation,
    BookingParticipant,
    BookingStatus,
)
from app.scheduling.slots import SlotRequest, find_slots
from tests import factories

MONDAY = date(2026, 9, 14)  # an ordinary week: no holidays
WEEK = [MONDAY + timedelta(n) for n in range(7)]


def local(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=STOCKHOLM)


def week_range() -> tuple[datetime, datetime]:
    return local(MONDAY, 0), local(MONDAY + timedelta(7), 0)


def working_days(intervals: list[Interval]) -> list[date]:
    return sorted({i.start.astimezone(STOCKHOLM).date() for i in intervals})


@pytest.fixture
def world(session: Session) -> factories.Setting:
    s = factories.setting(session)
    weekdays = [WorkingHoursIn(weekday=d, start_time=time(8), end_time=time(16)) for d in range(5)]
    service.replace_working_hours(session, s.nurse_id, weekdays, if_match="*")
    service.replace_working_hours(session, s.social_worker_id, weekdays, if_match="*")
    return s


def book(session: Session, s: factories.Setting, staff_id: int, day: date, *, active: bool) -> int:
    family = factories.family(session, s.bvc_id, born=date(2026, 8, 1), serial=100 + day.day)
    starts = local(day, 13)
    booking = Booking(
        uid=f"test-{day}-{staff_id}-{active}",
        family_id=family.id,
        kind=BookingKind.follow_up,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        location=BookingLocation.home,
        status=BookingStatus.booked if active else BookingStatus.cancelled,
    )
    booking.participants = [
        BookingParticipant(
            staff_id=staff_id,
            role="bhv_nurse",
            busy_from=starts - timedelta(minutes=30),
            busy_to=starts + timedelta(minutes=90),
            active=active,
        )
    ]
    session.add(booking)
    session.commit()
    return booking.id


def test_weekly_hours_become_working_intervals_per_local_day(
    session: Session, world: factories.Setting
) -> None:
    nurse, worker = service.participant_calendars(
        session, [world.nurse_id, world.social_worker_id], *week_range()
    )

    assert (nurse.staff_id, worker.staff_id) == (world.nurse_id, world.social_worker_id)
    assert working_days(list(nurse.working)) == WEEK[:5]
    assert nurse.working[0] == Interval(local(MONDAY, 8), local(MONDAY, 16))
    assert nurse.busy == []


def test_overrides_absences_blocks_closed_days_and_bookings(
    session: Session, world: factories.Setting
) -> None:
    tuesday, wednesday, thursday, friday = WEEK[1:5]
    service.add_override(
        session, world.nurse_id, OverrideIn(on=tuesday, start_time=time(10), end_time=time(12))
    )
    service.add_override(
        session, world.nurse_id, OverrideIn(on=WEEK[5], start_time=time(9), end_time=time(11))
    )
    service.add_absence(
        session,
        world.social_worker_id,
        AbsenceIn(kind=AbsenceKind.sick_leave, first_day=wednesday, last_day=wednesday),
    )
    service.add_blocked_time(
        session,
        world.bvc_id,
        BlockedTimeIn(
            first_start_local=datetime(2026, 1, 5, 9),
            duration_minutes=60,
            rrule="FREQ=WEEKLY;BYDAY=MO",
            reason="Teammöte",
        ),
    )
    service.add_closed_day(
        session, ClosedDayIn(organization_id=world.region_id, on=thursday, name="Planeringsdag")
    )
    service.add_closed_day(session, ClosedDayIn(on=friday, name="Personalfest"))
    booked = book(session, world, world.nurse_id, MONDAY, active=True)
    book(session, world, world.nurse_id, tuesday, active=False)

    nurse, worker = service.participant_calendars(
        session, [world.nurse_id, world.social_worker_id], *week_range()
    )

    # The region's closed Thursday is the nurse's (BVC), not the social worker's (municipality);
    # the global Friday is everyone's; the Saturday override makes the nurse work then.
    assert working_days(list(nurse.working)) == [MONDAY, tuesday, wednesday, WEEK[5]]
    assert working_days(list(worker.working)) == [MONDAY, tuesday, wednesday, thursday]
    assert Interval(local(tuesday, 10), local(tuesday, 12)) in nurse.working
    assert nurse.busy == [
        Interval(local(MONDAY, 9), local(MONDAY, 10)),  # the unit's team meeting
        Interval(local(MONDAY, 12, 30), local(MONDAY, 14, 30)),  # the booking with buffers
    ]
    assert worker.busy == [Interval(local(wednesday, 0), local(thursday, 0))]

    (rescheduling,) = service.participant_calendars(
        session, [world.nurse_id], *week_range(), exclude_booking_id=booked
    )
    assert rescheduling.busy == [Interval(local(MONDAY, 9), local(MONDAY, 10))]


def test_de_facto_holidays_follow_the_setting(session: Session, world: factories.Setting) -> None:
    eve = date(2026, 6, 19)  # Midsommarafton, a Friday
    span = (local(eve, 0), local(eve + timedelta(1), 0))

    (closed,) = service.participant_calendars(session, [world.nurse_id], *span)
    (opened,) = service.participant_calendars(session, [world.nurse_id], *span, closed_de_facto=())
    assert closed.working == []
    assert opened.working == [Interval(local(eve, 8), local(eve, 16))]


def test_the_calendars_feed_the_slot_finder(session: Session, world: factories.Setting) -> None:
    service.add_absence(
        session,
        world.social_worker_id,
        AbsenceIn(
            kind=AbsenceKind.training,
            starts_at=local(MONDAY, 8),
            ends_at=local(MONDAY, 12),
        ),
    )
    request = SlotRequest(
        MONDAY, MONDAY, MONDAY, timedelta(minutes=90), timedelta(minutes=30), timedelta(minutes=30)
    )
    search = request.search_range()
    calendars = service.participant_calendars(
        session, [world.nurse_id, world.social_worker_id], search.start, search.end
    )

    slots = find_slots(request, calendars, continuity=True, limit=100)

    assert [s.starts_at.astimezone(STOCKHOLM).time() for s in slots] == [
        time(12, 30), time(12, 45), time(13), time(13, 15), time(13, 30), time(13, 45), time(14)
    ]  # fmt: skip


def test_unknown_staff_member_is_not_found(session: Session, world: factories.Setting) -> None:
    with pytest.raises(NotFound):
        service.participant_calendars(session, [world.nurse_id, 999999], *week_range())


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_queries_do_not_grow_with_the_range_or_the_staff(
    session: Session, world: factories.Setting, statements: list[str]
) -> None:
    start = datetime(2026, 9, 1, tzinfo=UTC)
    service.participant_calendars(session, [world.nurse_id], start, start + timedelta(days=1))
    one_day = len(statements)
    statements.clear()
    service.participant_calendars(
        session, [world.nurse_id, world.social_worker_id], start, start + timedelta(days=92)
    )
    assert len(statements) == one_day
