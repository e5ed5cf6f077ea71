"""Swedish personal identity numbers: personnummer, samordningsnummer and reservnummer.

Pure and stdlib-only. "Today" is always passed in, so century resolution is deterministic.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class IdentityKind(StrEnum):
    personnummer = "personnummer"
    samordningsnummer = "samordningsnummer"
    reservnummer = "reservnummer"


class InvalidIdentityNumber(ValueError):
    """The text is not a valid identity number; the message says why, in English."""


# Nobody born before this is alive; also rejects typos such as 0990 for 1990.
EARLIEST_BIRTH_YEAR = 1870
# Samordningsnummer add 60 to the day of month.
COORDINATION_DAY_OFFSET = 60

# [0-9] rather than \d: \d also matches non-ASCII digits such as Arabic-Indic ones.
_LONG_FORM = re.compile(r"([0-9]{8})-?([0-9]{4})")
_SHORT_FORM = re.compile(r"([0-9]{6})([-+]?)([0-9]{4})")
_ALLOWED_CHARS = re.compile(r"[0-9+-]+")
_RESERVE_FORM = re.compile(r"[A-Za-z0-9-]{1,20}")
# Only ASCII whitespace: str.strip() would also drop control characters like \x1c.
_WHITESPACE = " \t\r\n\f\v"


@dataclass(frozen=True)
class IdentityNumber:
    """A validated personnummer or samordningsnummer.

    `birth_date` is the date encoded in the number (for a samordningsnummer, the day minus 60).
    It is occasionally not the person's real birth date. Number and date are left out of
    `repr()` so they do not leak into logs and tracebacks.
    """

    kind: IdentityKind
    digits: str = field(repr=False)
    birth_date: date = field(repr=False)

    def formatted(self) -> str:
        """Return the 12-digit form with a hyphen, e.g. "19900101-1234"."""
        return f"{self.digits[:8]}-{self.digits[8:]}"

    def masked(self) -> str:
        """Return the date part with the last four digits hidden, e.g. "19900101-****"."""
        return f"{self.digits[:8]}-****"


@dataclass(frozen=True)
class ReserveNumber:
    """A region-issued reservnummer, an opaque id: its format differs by region."""

    value: str
    issuing_region: str

    @property
    def kind(self) -> IdentityKind:
        return IdentityKind.reservnummer


def luhn_check_digit(nine_digits: str) -> int:
    """Return the Luhn check digit for the nine digits YYMMDDNNN (no century)."""
    if len(nine_digits) != 9 or not nine_digits.isascii() or not nine_digits.isdigit():
        raise ValueError("expected exactly nine digits")
    total = 0
    for position, char in enumerate(nine_digits):
        product = int(char) * (2 if position % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def parse_identity_number(text: str, *, today: date) -> IdentityNumber:
    """Parse and validate a personnummer or samordningsnummer.

    Accepts "YYYYMMDDNNNC", "YYYYMMDD-NNNC", "YYMMDD-NNNC", "YYMMDD+NNNC" and "YYMMDDNNNC"
    (no separator means '-'), with surrounding whitespace. The century of a 10-digit form is
    resolved against `today`: with '-' the person is under 100, with '+' 100 or older.

    Raises InvalidIdentityNumber with a short English reason.
    """
    stripped = text.strip(_WHITESPACE)
    if not stripped:
        raise InvalidIdentityNumber("identity number is empty")
    if not _ALLOWED_CHARS.fullmatch(stripped):
        raise InvalidIdentityNumber("only digits and a '-' or '+' separator are allowed")

    long_match = _LONG_FORM.fullmatch(stripped)
    short_match = _SHORT_FORM.fullmatch(stripped)
    if long_match:
        date_part, tail = long_match.groups()
        year = int(date_part[:4])
        month, day = int(date_part[4:6]), int(date_part[6:8])
    elif short_match:
        short_date, separator, tail = short_match.groups()
        month, day = int(short_date[2:4]), int(short_date[4:6])
        year = _resolve_year(int(short_date[:2]), month, day, separator == "+", today)
    else:
        raise InvalidIdentityNumber(
            "expected 10 or 12 digits, with an optional separator before the last four"
        )

    kind = IdentityKind.personnummer
    real_day = day
    if COORDINATION_DAY_OFFSET < day <= COORDINATION_DAY_OFFSET + 31:
        kind = IdentityKind.samordningsnummer
        real_day = day - COORDINATION_DAY_OFFSET

    if year < EARLIEST_BIRTH_YEAR:
        raise InvalidIdentityNumber(f"birth year before {EARLIEST_BIRTH_YEAR}")
    try:
        birth_date = date(year, month, real_day)
    except ValueError:
        raise InvalidIdentityNumber(
            f"no such date: {year:04d}-{month:02d}-{real_day:02d}"
        ) from None
    if birth_date > today:
        raise InvalidIdentityNumber("birth date is in the future")

    digits = f"{year:04d}{month:02d}{day:02d}{tail}"
    if luhn_check_digit(digits[2:11]) != int(digits[11]):
        raise InvalidIdentityNumber("check digit does not match")
    return IdentityNumber(kind=kind, digits=digits, birth_date=birth_date)


def _resolve_year(yy: int, month: int, day: int, centenarian: bool, today: date) -> int:
    """Pick the latest year ending in `yy` whose month/day is not after the reference date."""
    if day > COORDINATION_DAY_OFFSET:
        day -= COORDINATION_DAY_OFFSET
    # '+' means 100 or older: the birth date is on or before today minus 100 years.
    reference_year = today.year - 100 if centenarian else today.year
    year = reference_year - (reference_year - yy) % 100
    # Compare tuples, not dates: the date may not exist and must be reported later, not here.
    if (year, month, day) > (reference_year, today.month, today.day):
        year -= 100
    return year


def parse_reserve_number(text: str, *, issuing_region: str) -> ReserveNumber:
    """Parse a reservnummer as an opaque id: 1–20 of A–Z, 0–9 and '-', stored uppercase.

    No date or age is ever derived from it; formats differ between regions.
    """
    region = issuing_region.strip(_WHITESPACE)
    if not region:
        raise InvalidIdentityNumber("issuing region is required for a reservnummer")
    stripped = text.strip(_WHITESPACE)
    if not stripped:
        raise InvalidIdentityNumber("reservnummer is empty")
    # Check before upper(): "ß".upper() is "SS" and would otherwise slip through.
    if not _RESERVE_FORM.fullmatch(stripped):
        raise InvalidIdentityNumber("reservnummer must be 1-20 characters of A-Z, 0-9 and '-'")
    return ReserveNumber(value=stripped.upper(), issuing_region=region)
