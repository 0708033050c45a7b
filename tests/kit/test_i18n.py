"""Vietnamese conventions for numbers, money and dates, and the catalogue fallback."""

from __future__ import annotations

from datetime import UTC, datetime

from ioc.kit.i18n import (
    format_local_datetime,
    format_number,
    format_vnd,
    normalise_locale,
    translate,
)


def test_numbers_use_dots_for_thousands_in_vietnamese() -> None:
    assert format_number(1234567, "vi") == "1.234.567"
    assert format_number(1234.5, "vi", 1) == "1.234,5"
    assert format_number(1234567, "en") == "1,234,567"


def test_money_in_dong() -> None:
    assert format_vnd(20000, "vi") == "20.000 ₫"


def test_local_time_is_shown_in_the_province_time_zone() -> None:
    utc = datetime(2026, 2, 13, 1, 30, tzinfo=UTC)
    assert format_local_datetime(utc, "vi") == "08:30 13/02/2026"


def test_translation_falls_back_to_english_and_fills_placeholders() -> None:
    assert translate("vi", "Sign in") == "Đăng nhập"
    assert translate("en", "Sign in") == "Sign in"
    assert translate("vi", "A sentence nobody translated") == "A sentence nobody translated"
    assert translate("vi", "At most {max} characters.", max=40) == "Tối đa 40 ký tự."


def test_unknown_locale_falls_back_to_vietnamese() -> None:
    assert normalise_locale("fr-FR") == "vi"
    assert normalise_locale("en-GB") == "en"
