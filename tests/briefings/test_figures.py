"""The figures of the leader's report against the hand-made week of conftest.py."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from ioc.briefings import figures, periods
from tests.briefings.conftest import NOW, Week

W11 = periods.parse("week", "2026-W11")


def test_period_figures_match_the_hand_count(seeded: Session, week: Week) -> None:
    data = figures.build(seeded, W11, now=NOW, min_volume=2)
    received = data.figure("received")
    assert (received.value, received.previous) == (8, 1)  # r1–r8; r9 the week before
    resolved = data.figure("resolved")
    assert (resolved.value, resolved.previous) == (3, 1)  # r1, r2, r5; r9
    on_time = data.figure("on_time")
    # Within competence: r1, r2, r3, r5, r7, r8 (r4 duplicate, r6 not competent); on time r1, r5.
    assert on_time.value == pytest.approx(2 / 6)
    assert on_time.previous == pytest.approx(1.0)
    assert on_time.band == "bad"
    satisfaction = data.figure("satisfaction")
    assert satisfaction.value == pytest.approx((5 + 2 + 4) / 3)
    assert satisfaction.previous == pytest.approx(3.0)
    assert satisfaction.band == "warning"  # 3.67: at least 3.5, below 4
    overdue = data.figure("overdue")
    assert overdue.value == 3  # r3, r8 (not accepted in time), r10
    assert overdue.band == "bad"
    assert data.figure("open").value == 4  # r3, r7, r8, r10
    assert [(c.channel, c.received, c.previous) for c in data.channels] == [
        ("app", 7, 1),
        ("hotline", 1, 0),
    ]


def test_oldest_outstanding_are_the_most_overdue_first(seeded: Session, week: Week) -> None:
    data = figures.build(seeded, W11, now=NOW)
    r = week.reports
    assert [(o.code, o.days_overdue) for o in data.outstanding] == [
        (r["r10"].code, 13),  # due 6 Mar 17:00, now 20 Mar 10:00
        (r["r3"].code, 7),  # due 12 Mar 17:00
        (r["r8"].code, 6),  # to be accepted by 14 Mar 10:00
    ]
    assert data.outstanding_total == 3
    first = data.outstanding[0]
    assert first.category == week.category.name_vi
    assert first.commune == "Phường Phan Đình Phùng"
    assert first.agency == week.agency["SXD"].name


def test_agency_ranking_follows_decision_766(seeded: Session, week: Week) -> None:
    data = figures.build(seeded, W11, now=NOW, min_volume=2)
    ranking = [(s.code, s.rank, s.ranked) for s in data.ranking]
    # PCTN: r5 on time, r7 open in time → (2 − 0 − 0) ÷ 2 = 100 %.
    # SXD: r2 late and unsatisfied (once), r3 overdue → (3 − 2) ÷ 3 = 33 %.
    # CAT: one report within competence, below the minimum volume of 2: listed, not ranked.
    assert ranking == [("PCTN", 1, True), ("SXD", 2, True), ("CAT", None, False)]
    pctn, sxd = data.ranking[0], data.ranking[1]
    assert pctn.ratio_satisfied_on_time == pytest.approx(1.0)
    assert pctn.ratio_on_time == pytest.approx(1 / 2)
    assert sxd.ratio_satisfied_on_time == pytest.approx(1 / 3)
    assert sxd.ratio_on_time == pytest.approx(1 / 3)


def test_agency_version_counts_only_that_agency(seeded: Session, week: Week) -> None:
    sxd = week.agency["SXD"]
    data = figures.build(seeded, W11, agency_id=sxd.id, now=NOW, min_volume=2)
    assert data.agency_name == sxd.name
    assert data.figure("received").value == 4  # r1–r4
    assert data.figure("on_time").value == pytest.approx(1 / 3)  # r1 of r1, r2, r3
    assert data.figure("overdue").value == 2  # r3, r10
    assert [o.code for o in data.outstanding] == [week.reports["r10"].code, week.reports["r3"].code]
    # The ranking still shows every agency, so the agency sees where it stands.
    assert {s.code for s in data.ranking} == {"PCTN", "SXD", "CAT"}


def test_trend_covers_twelve_periods_ending_with_the_report(seeded: Session, week: Week) -> None:
    data = figures.build(seeded, W11, now=NOW)
    assert len(data.trend) == 12
    assert data.trend[-1].period == W11
    assert data.trend[0].period == periods.parse("week", "2025-W52")
    assert [p.received for p in data.trend[-3:]] == [1, 1, 8]  # r10 (W09), r9 (W10), W11
    assert data.trend[-1].on_time == pytest.approx(2 / 6)


def test_monthly_report_covers_the_calendar_month(seeded: Session, week: Week) -> None:
    march = periods.parse("month", "2026-03")
    data = figures.build(seeded, march, now=NOW)
    assert data.figure("received").value == 10
    assert data.figure("received").previous == 0
    assert data.trend[-2].period == periods.parse("month", "2026-02")
