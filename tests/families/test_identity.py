from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.families.identity import (
    IdentityKind,
    IdentityNumber,
    InvalidIdentityNumber,
    luhn_check_digit,
    parse_identity_number,
    parse_reserve_number,
)

# A fixed "today" keeps century resolution deterministic.
TODAY = date(2025, 6, 15)


def with_check(nine_digits: str) -> str:
    """Append the Luhn check digit to YYMMDDNNN, giving the ten digits."""
    return nine_digits + str(luhn_check_digit(nine_digits))


def parse(text: str) -> IdentityNumber:
    return parse_identity_number(text, today=TODAY)


# Skatteverket's published test numbers.
def test_luhn_check_digit_matches_skatteverket_test_numbers() -> None:
    assert luhn_check_digit("121212121") == 2
    assert luhn_check_digit("811228987") == 4


@pytest.mark.parametrize("bad", ["", "12345678", "1234567890", "12121212a", "١٢١٢١٢١٢١"])
def test_luhn_check_digit_rejects_anything_but_nine_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        luhn_check_digit(bad)


@pytest.mark.parametrize(
    "text",
    [
        "198112289874",
        "19811228-9874",
        "811228-9874",
        "8112289874",
        "  811228-9874\n",
        "\t19811228-9874 ",
    ],
)
def test_valid_personnummer_is_accepted_in_every_form(text: str) -> None:
    number = parse(text)
    assert number.kind is IdentityKind.personnummer
    assert number.digits == "198112289874"
    assert number.birth_date == date(1981, 12, 28)


def test_formatted_is_twelve_digits_with_hyphen_and_masked_hides_last_four() -> None:
    number = parse("811228-9874")
    assert number.formatted() == "19811228-9874"
    assert number.masked() == "19811228-****"


def test_repr_does_not_reveal_the_number_or_date() -> None:
    text = repr(parse("811228-9874"))
    assert "9874" not in text
    assert "1981" not in text


def test_skatteverket_test_number_with_explicit_century_is_1912() -> None:
    number = parse("19121212-1212")
    assert number.digits == "191212121212"
    assert number.birth_date == date(1912, 12, 12)


def test_wrong_check_digit_is_refused() -> None:
    with pytest.raises(InvalidIdentityNumber, match="check digit does not match"):
        parse("811228-9875")


def test_thirtieth_of_february_is_refused() -> None:
    with pytest.raises(InvalidIdentityNumber, match="no such date: 1990-02-30"):
        parse("19" + with_check("900230123"))


def test_29_february_is_valid_in_a_leap_year() -> None:
    assert parse("20" + with_check("240229123")).birth_date == date(2024, 2, 29)
    ten = with_check("000229123")
    assert parse(f"{ten[:6]}-{ten[6:]}").birth_date == date(2000, 2, 29)


def test_29_february_is_refused_in_a_non_leap_year() -> None:
    with pytest.raises(InvalidIdentityNumber, match="no such date: 2023-02-29"):
        parse("20" + with_check("230229123"))


def test_29_february_1900_is_refused_because_1900_was_not_a_leap_year() -> None:
    ten = with_check("000229123")
    with pytest.raises(InvalidIdentityNumber, match="no such date: 1900-02-29"):
        parse(f"{ten[:6]}+{ten[6:]}")
    with pytest.raises(InvalidIdentityNumber, match="no such date: 1900-02-29"):
        parse("19" + ten)


@pytest.mark.parametrize(
    "date_part",
    ["900001", "900100", "900013", "901300", "900132", "901060", "900192"],
)
def test_impossible_month_or_day_is_refused(date_part: str) -> None:
    with pytest.raises(InvalidIdentityNumber, match="no such date"):
        parse("19" + with_check(date_part + "123"))


def test_day_plus_sixty_is_a_samordningsnummer_with_the_real_day_as_birth_date() -> None:
    number = parse("701063-2391")
    assert number.kind is IdentityKind.samordningsnummer
    assert number.digits == "197010632391"
    assert number.birth_date == date(1970, 10, 3)
    assert number.formatted() == "19701063-2391"


def test_samordningsnummer_on_31st_day_is_accepted() -> None:
    assert parse("19" + with_check("700191123")).birth_date == date(1970, 1, 31)


def test_samordningsnummer_with_impossible_real_date_is_refused() -> None:
    with pytest.raises(InvalidIdentityNumber, match="no such date: 1970-02-30"):
        parse("19" + with_check("700290123"))


def test_plus_separator_means_one_hundred_or_older() -> None:
    assert parse("121212+1212").birth_date == date(1912, 12, 12)
    assert parse("121212-1212").birth_date == date(2012, 12, 12)


def test_plus_separator_on_the_hundredth_birthday_is_accepted() -> None:
    ten = with_check("250615123")
    assert parse(f"{ten[:6]}+{ten[6:]}").birth_date == date(1925, 6, 15)


def test_plus_separator_for_someone_not_yet_100_goes_back_another_century_and_is_refused() -> None:
    # Born 250616 with '+' would be 1825, long before anyone alive.
    ten = with_check("250616123")
    with pytest.raises(InvalidIdentityNumber, match="before 1870"):
        parse(f"{ten[:6]}+{ten[6:]}")


def test_hyphen_for_someone_born_earlier_this_year_is_this_year() -> None:
    ten = with_check("250101123")
    assert parse(f"{ten[:6]}-{ten[6:]}").birth_date == date(2025, 1, 1)
    assert parse(ten).birth_date == date(2025, 1, 1)


def test_hyphen_for_someone_born_today_is_today() -> None:
    ten = with_check("250615123")
    assert parse(f"{ten[:6]}-{ten[6:]}").birth_date == TODAY


def test_hyphen_for_a_date_later_this_year_is_99_years_ago() -> None:
    ten = with_check("250616123")
    assert parse(f"{ten[:6]}-{ten[6:]}").birth_date == date(1925, 6, 16)


def test_hyphen_for_a_later_two_digit_year_is_last_century() -> None:
    ten = with_check("260101123")
    assert parse(f"{ten[:6]}-{ten[6:]}").birth_date == date(1926, 1, 1)


def test_future_birth_date_in_twelve_digit_form_is_refused() -> None:
    with pytest.raises(InvalidIdentityNumber, match="in the future"):
        parse("20" + with_check("250616123"))


def test_twelve_digit_form_before_1870_is_refused() -> None:
    with pytest.raises(InvalidIdentityNumber, match="before 1870"):
        parse("18" + with_check("691231123"))


def test_twelve_digit_form_in_1870_is_accepted() -> None:
    assert parse("18" + with_check("700101123")).birth_date == date(1870, 1, 1)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("811228-987A", "only digits"),
        ("811228 9874", "only digits"),
        ("811228-9874\x00", "only digits"),
        ("\x00811228-9874", "only digits"),
        ("\x1c811228-9874", "only digits"),
        ("８１１２２８-９８７４", "only digits"),
        ("811228–9874", "only digits"),
        ("81122898", "expected 10 or 12 digits"),
        ("81122898741", "expected 10 or 12 digits"),
        ("1981122898745", "expected 10 or 12 digits"),
        ("19811228+9874", "expected 10 or 12 digits"),
        ("811228--9874", "expected 10 or 12 digits"),
        ("8112-28-9874", "expected 10 or 12 digits"),
        ("-8112289874", "expected 10 or 12 digits"),
        ("+", "expected 10 or 12 digits"),
    ],
)
def test_malformed_text_is_refused(text: str, reason: str) -> None:
    with pytest.raises(InvalidIdentityNumber, match=reason):
        parse(text)


def test_invalid_identity_number_is_a_value_error() -> None:
    assert issubclass(InvalidIdentityNumber, ValueError)


def test_reserve_number_is_uppercased_and_keeps_its_region() -> None:
    reserve = parse_reserve_number(" 9x2025-0001 ", issuing_region="Region Stockholm")
    assert reserve.value == "9X2025-0001"
    assert reserve.issuing_region == "Region Stockholm"
    assert reserve.kind is IdentityKind.reservnummer


def test_reserve_number_derives_no_date() -> None:
    reserve = parse_reserve_number("920250101123", issuing_region="Region Stockholm")
    assert not hasattr(reserve, "birth_date")


@pytest.mark.parametrize("region", ["", "   "])
def test_reserve_number_requires_an_issuing_region(region: str) -> None:
    with pytest.raises(InvalidIdentityNumber, match="region"):
        parse_reserve_number("920250101123", issuing_region=region)


def test_reserve_number_accepts_twenty_characters() -> None:
    assert parse_reserve_number("A" * 20, issuing_region="Skåne").value == "A" * 20


@pytest.mark.parametrize(
    "text", ["", "A" * 21, "AB 12", "AB_12", "ÅÄÖ1", "straße", "AB\x0012", "١٢"]
)
def test_reserve_number_refuses_other_characters_and_lengths(text: str) -> None:
    with pytest.raises(InvalidIdentityNumber):
        parse_reserve_number(text, issuing_region="Skåne")


births = st.dates(min_value=date(1870, 1, 1), max_value=TODAY)
birth_numbers = st.integers(min_value=0, max_value=999)


def twelve_digits(birth: date, birth_number: int, coordination: bool) -> str:
    day = birth.day + (60 if coordination else 0)
    nine = f"{birth.year % 100:02d}{birth.month:02d}{day:02d}{birth_number:03d}"
    return f"{birth.year // 100:02d}{with_check(nine)}"


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


@given(births, birth_numbers, st.booleans())
def test_twelve_digit_form_round_trips(birth: date, birth_number: int, coordination: bool) -> None:
    digits = twelve_digits(birth, birth_number, coordination)
    number = parse(digits)
    assert number.digits == digits
    assert number.birth_date == birth
    assert number.kind is (
        IdentityKind.samordningsnummer if coordination else IdentityKind.personnummer
    )
    assert parse(number.formatted()) == number


@given(births, birth_numbers, st.booleans())
def test_ten_digit_form_with_age_separator_round_trips(
    birth: date, birth_number: int, coordination: bool
) -> None:
    digits = twelve_digits(birth, birth_number, coordination)
    separator = "+" if age_on(birth, TODAY) >= 100 else "-"
    number = parse(f"{digits[2:8]}{separator}{digits[8:]}")
    assert number.digits == digits
    assert number.birth_date == birth


@given(births, birth_numbers, st.booleans(), st.integers(0, 9), st.integers(1, 9))
def test_changing_any_single_digit_of_the_ten_is_refused(
    birth: date, birth_number: int, coordination: bool, position: int, delta: int
) -> None:
    digits = twelve_digits(birth, birth_number, coordination)
    index = 2 + position
    changed = str((int(digits[index]) + delta) % 10)
    # Luhn catches every single-digit error; a changed date digit may fail on the date first.
    with pytest.raises(InvalidIdentityNumber):
        parse(digits[:index] + changed + digits[index + 1 :])


@given(st.text(max_size=20))
def test_arbitrary_text_either_parses_or_raises_invalid_identity_number(text: str) -> None:
    try:
        number = parse(text)
    except InvalidIdentityNumber:
        return
    assert len(number.digits) == 12
    assert number.birth_date <= TODAY
