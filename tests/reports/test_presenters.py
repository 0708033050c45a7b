"""Deadlines read as a person would say them, in working time."""

from __future__ import annotations

from datetime import timedelta

from ioc.kit.i18n import translator
from ioc.reports.presenters import time_left_label

vi = translator("vi")


def test_days_when_two_or_more_working_days() -> None:
    assert time_left_label(timedelta(hours=24), vi) == "còn 3 ngày làm việc"
    assert time_left_label(-timedelta(hours=8 * 177.4), vi) == "quá hạn 177 ngày làm việc"


def test_hours_below_two_working_days() -> None:
    assert time_left_label(timedelta(hours=12), vi) == "còn 12 giờ làm việc"
    assert time_left_label(-timedelta(minutes=50), vi) == "quá hạn 1 giờ làm việc"


def test_no_deadline_no_text() -> None:
    assert time_left_label(None, vi) == ""
