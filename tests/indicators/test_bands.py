"""Band colours at their edges, in both directions, trends and periods."""

from __future__ import annotations

from datetime import date

import pytest

from ioc.indicators import bands
from ioc.indicators.bands import BAD, GOOD, NONE, WARNING, Rule


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (90.0, GOOD),  # exactly 100 % of the target
        (89.99, WARNING),
        (59.4, WARNING),  # exactly 66 % of 90
        (59.39, BAD),
        (0.0, BAD),
        (120.0, GOOD),
    ],
)
def test_higher_is_better_as_share_of_target(value: float, expected: str) -> None:
    assert bands.band(Rule("higher", "target", target=90.0), value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3.0, GOOD),  # at the target
        (2.0, GOOD),
        (3.0001, WARNING),
        (3.0 / 0.66, WARNING),  # exactly 66 % achieved: target ÷ value = 0.66
        (4.6, BAD),
        (0.0, GOOD),  # nothing at all meets a lower-is-better target
    ],
)
def test_lower_is_better_as_share_of_target(value: float, expected: str) -> None:
    assert bands.band(Rule("lower", "target", target=3.0), value) == expected


def test_custom_percent_thresholds() -> None:
    rule = Rule("higher", "target", target=100.0, good_at=95.0, warn_at=80.0)
    assert bands.band(rule, 95.0) == GOOD
    assert bands.band(rule, 94.9) == WARNING
    assert bands.band(rule, 80.0) == WARNING
    assert bands.band(rule, 79.9) == BAD


@pytest.mark.parametrize(
    ("value", "expected"),
    [(25.0, GOOD), (25.01, WARNING), (50.0, WARNING), (50.01, BAD), (0.0, GOOD)],
)
def test_absolute_lower_is_better(value: float, expected: str) -> None:
    rule = Rule("lower", "absolute", good_at=25.0, warn_at=50.0)
    assert bands.band(rule, value) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(80.0, GOOD), (79.99, WARNING), (60.0, WARNING), (59.99, BAD)]
)
def test_absolute_higher_is_better(value: float, expected: str) -> None:
    rule = Rule("higher", "absolute", good_at=80.0, warn_at=60.0)
    assert bands.band(rule, value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(18.0, GOOD), (24.0, GOOD), (17.0, WARNING), (25.0, WARNING), (16.99, BAD), (25.01, BAD)],
)
def test_target_range_with_margin(value: float, expected: str) -> None:
    rule = Rule("range", "target", target=18.0, target_max=24.0, warn_at=1.0)
    assert bands.band(rule, value) == expected


def test_no_target_or_no_bands_gives_no_band() -> None:
    assert bands.band(Rule("higher", "target"), 50.0) == NONE
    assert bands.band(Rule("higher", "none", target=10.0), 50.0) == NONE
    assert bands.band(Rule("higher", "target", target=10.0), None) == NONE


def test_trend_is_judged_by_direction() -> None:
    assert bands.trend("higher", 80.0, 70.0) == ("up", True)
    assert bands.trend("lower", 80.0, 70.0) == ("up", False)
    assert bands.trend("lower", 60.0, 70.0) == ("down", True)
    assert bands.trend("higher", 70.1, 70.0) == ("flat", None)
    assert bands.trend("higher", 70.0, None) == ("none", None)


def test_periods() -> None:
    assert bands.period_start("quarterly", date(2026, 8, 17)) == date(2026, 7, 1)
    assert bands.previous_period("monthly", date(2026, 1, 1)) == date(2025, 12, 1)
    assert bands.next_period("quarterly", date(2026, 10, 1)) == date(2027, 1, 1)
    assert bands.parse_period("monthly", "2026-03") == date(2026, 3, 1)
    assert bands.parse_period("monthly", "03/2026") == date(2026, 3, 1)
    assert bands.parse_period("quarterly", "2026-Q3") == date(2026, 7, 1)
    assert bands.parse_period("yearly", "2025") == date(2025, 1, 1)
    assert bands.parse_period("daily", "15/03/2026") == date(2026, 3, 15)
    assert bands.parse_period("monthly", "2026-13") is None
    assert bands.parse_period("monthly", "2026") is None
    assert bands.parse_period("monthly", "tháng ba") is None
    assert bands.period_label("quarterly", date(2026, 4, 1)) == "Quý 2/2026"
