"""The evaluation of agencies and officers, on a small set of reports worked out by hand, and
its CSV and Excel exports.

All times are local (UTC+7) in March 2026, a month without public holidays; office hours are
08:00–12:00 and 13:00–17:00, Monday to Friday. 2 March 2026 is a Monday."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import datetime
from itertools import count

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.areas.models import Agency
from ioc.kit import auth
from ioc.kit.workdays import VIETNAM_TZ, WorkCalendar
from ioc.reports import service as reports
from ioc.reports.evaluation import (
    AgencyScore,
    evaluate,
    evaluate_agencies,
    evaluate_officers,
    record_resolution,
)
from ioc.reports.export import HEADERS, NOT_RANKED, agencies_csv, agencies_xlsx
from ioc.reports.models import Category, Report, ReportAgencyRecord, ReportUpdate
from ioc.reports.seed import seed_categories
from tests.reports.conftest import add_rule, agency, communes, make_category, make_report, person

WARD = "05443"  # Phường Phan Đình Phùng
OTHER_WARD = "05455"  # Phường Quyết Thắng
START = datetime(2026, 3, 1, tzinfo=VIETNAM_TZ)
END = datetime(2026, 4, 1, tzinfo=VIETNAM_TZ)
NOW = datetime(2026, 3, 20, 10, 0, tzinfo=VIETNAM_TZ)
CALENDAR = WorkCalendar(overrides={})
_numbers = count(1)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=VIETNAM_TZ)


class Book:
    """Builds reports, agency records and timeline rows directly with the models."""

    def __init__(self, session: Session) -> None:
        self.session = session
        seed_categories(session)
        self.category = session.scalar(select(Category).where(Category.code == "road.pothole"))
        self.agency = {
            a.code: a.id
            for a in session.scalars(
                select(Agency).where(Agency.code.in_(["SXD", "PCTN", "CAT", f"UBND-{WARD}"]))
            )
        }

    def report(
        self,
        agency: str,
        *,
        received: datetime,
        status: str,
        accept_due: datetime | None = None,
        accepted: datetime | None = None,
        resolve_due: datetime | None = None,
        resolved: datetime | None = None,
        rating: int | None = None,
        reopen_count: int = 0,
        paused: datetime | None = None,
        area: str = WARD,
        outcome: str = "",
        transferred_from: tuple[str, datetime] | None = None,
    ) -> Report:
        assert self.category is not None
        submitted = transferred_from[1] if transferred_from else received
        report = Report(
            code=f"PA-2026-{next(_numbers):06d}",
            category_id=self.category.id,
            description="Ổ gà lớn giữa đường",
            area_code=area,
            status=status,
            agency_id=self.agency[agency],
            submitted_at=submitted,
            accept_due_at=accept_due,
            accepted_at=accepted,
            resolve_due_at=resolve_due,
            resolved_at=resolved,
            paused_at=paused,
            reopen_count=reopen_count,
            rating=rating,
        )
        self.session.add(report)
        self.session.flush()
        if transferred_from:
            self.record(
                report, transferred_from[0], transferred_from[1], "transferred", left=received
            )
        self.record(report, agency, received, outcome)
        return report

    def record(
        self,
        report: Report,
        agency: str,
        received: datetime,
        outcome: str,
        *,
        left: datetime | None = None,
    ) -> None:
        self.session.add(
            ReportAgencyRecord(
                report_id=report.id,
                agency_id=self.agency[agency],
                received_at=received,
                left_at=left,
                outcome=outcome,
            )
        )

    def resolution(self, report: Report, officer: auth.User, when: datetime, agency: str) -> None:
        """A resolution's timeline row, and what service.resolve stores on the agency records."""
        record_resolution(self.session, report, resolver_id=officer.id, at=when, calendar=CALENDAR)
        self.session.add(
            ReportUpdate(
                report_id=report.id,
                at=when,
                actor_id=officer.id,
                actor_role="officer",
                kind="status",
                from_status="in_progress",
                to_status="resolved",
                agency_id=self.agency[agency],
                public_text="Đã khắc phục.",
            )
        )


@pytest.fixture()
def book(seeded: Session) -> dict[str, object]:
    """The hand-made record; the expected figures are worked out in the tests below."""
    b = Book(seeded)
    u1, u2, u3, u4 = (
        auth.create_user(seeded, email=f"officer{i}@example.vn", full_name=name)
        for i, name in enumerate(
            ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung"), 1
        )
    )
    # R1: accepted and resolved on time, 9 working hours (Mon 8–17, Tue 8–9), rated 5.
    r1 = b.report(
        "SXD",
        received=at(2, 8),
        status="closed",
        accept_due=at(2, 16),
        accepted=at(2, 9),
        resolve_due=at(5, 9),
        resolved=at(3, 9),
        rating=5,
    )
    b.resolution(r1, u1, at(3, 9), "SXD")
    # R2: accepted late, resolved late after 42 working hours (5 days and 2 h), rated 2.
    r2 = b.report(
        "SXD",
        received=at(2, 8),
        status="resolved",
        accept_due=at(2, 16),
        accepted=at(3, 10),
        resolve_due=at(6, 10),
        resolved=at(9, 10),
        rating=2,
    )
    b.resolution(r2, u1, at(9, 10), "SXD")
    # R3: reopened once, resolved again on time (24 working hours), rated 4. The first
    # answer was U2's, the standing one U1's.
    r3 = b.report(
        "SXD",
        received=at(2, 8),
        status="closed",
        accept_due=at(2, 16),
        accepted=at(2, 10),
        resolve_due=at(5, 10),
        resolved=at(5, 8),
        rating=4,
        reopen_count=1,
    )
    b.resolution(r3, u2, at(3, 10), "SXD")
    b.resolution(r3, u1, at(5, 8), "SXD")
    # R4: closed without a fix, rated 1: unsatisfied but neither resolved nor late.
    b.report(
        "SXD",
        received=at(2, 8),
        status="closed_unfixed",
        accept_due=at(2, 16),
        accepted=at(2, 11),
        resolve_due=at(5, 11),
        rating=1,
    )
    # R5: in progress, resolution due 12 March: overdue now (20 March).
    b.report(
        "SXD",
        received=at(9, 8),
        status="in_progress",
        accept_due=at(9, 16),
        accepted=at(9, 9),
        resolve_due=at(12, 9),
    )
    # R6: submitted this morning, acceptance due at 16:00: open, not overdue.
    b.report("SXD", received=at(20, 8), status="submitted", accept_due=at(20, 16))
    # R7: waiting for the citizen since 10 March, before its due date: the clock is stopped.
    b.report(
        "SXD",
        received=at(9, 8),
        status="waiting",
        accept_due=at(9, 16),
        accepted=at(9, 9),
        resolve_due=at(12, 9),
        paused=at(10, 9),
    )
    # R8: filed with the ward at 08:00, transferred to SXD at 10:00, resolved on time by U2:
    # 19 working hours from SXD's receipt (Mon 10–17 less lunch 6, Tue 8, Wed 8–14 less 1).
    r8 = b.report(
        "SXD",
        received=at(2, 10),
        status="resolved",
        accept_due=at(3, 10),
        accepted=at(2, 14),
        resolve_due=at(5, 14),
        resolved=at(4, 14),
        transferred_from=(f"UBND-{WARD}", at(2, 8)),
    )
    b.resolution(r8, u2, at(4, 14), "SXD")
    # R9: SXD transfers it to the power company, which resolves it in 5 working hours.
    r9 = b.report(
        "PCTN",
        received=at(3, 9),
        status="closed",
        accept_due=at(3, 17),
        accepted=at(3, 10),
        resolve_due=at(4, 10),
        resolved=at(3, 15),
        rating=5,
        transferred_from=("SXD", at(3, 8)),
    )
    b.resolution(r9, u3, at(3, 15), "PCTN")
    # R10: rejected as outside SXD's competence; R11: a duplicate; R12: rejected otherwise.
    b.report(
        "SXD", received=at(4, 8), status="rejected", accept_due=at(4, 16), outcome="not_competent"
    )
    b.report(
        "SXD", received=at(4, 8), status="duplicate", accept_due=at(4, 16), outcome="duplicate"
    )
    b.report("SXD", received=at(4, 8), status="rejected", accept_due=at(4, 16), outcome="rejected")
    # R13: in the other ward, resolved on time in 8 working hours by U2, rated 5.
    r13 = b.report(
        "SXD",
        received=at(4, 8),
        status="resolved",
        accept_due=at(4, 16),
        accepted=at(4, 8, 30),
        resolve_due=at(9, 8, 30),
        resolved=at(4, 17),
        rating=5,
        area=OTHER_WARD,
    )
    b.resolution(r13, u2, at(4, 17), "SXD")
    # R0: before the period: counted nowhere.
    r0 = b.report(
        "SXD",
        received=datetime(2026, 2, 27, 8, tzinfo=VIETNAM_TZ),
        status="resolved",
        resolved=at(2, 9),
    )
    b.resolution(r0, u1, datetime(2026, 2, 27, 9, tzinfo=VIETNAM_TZ), "SXD")
    # The police: 12 reports, each resolved on time in 4 working hours by U4; three rated 1.
    for i in range(12):
        r = b.report(
            "CAT",
            received=at(10, 8),
            status="closed",
            accept_due=at(10, 16),
            accepted=at(10, 8, 30),
            resolve_due=at(13, 8, 30),
            resolved=at(10, 12),
            rating=1 if i < 3 else 5,
        )
        b.resolution(r, u4, at(10, 12), "CAT")
    seeded.flush()
    return {"session": seeded, "u1": u1, "u2": u2, "u3": u3, "u4": u4}


def _scores(session: Session, *, area_code: str | None = None) -> dict[str, AgencyScore]:
    scores = evaluate_agencies(
        session,
        start=START,
        end=END,
        now=NOW,
        calendar=WorkCalendar(overrides={}),
        area_code=area_code,
    )
    return {s.code: s for s in scores}


def test_agency_figures_match_the_hand_count(book: dict[str, object]) -> None:
    session = book["session"]
    assert isinstance(session, Session)
    sxd = _scores(session)["SXD"]
    assert (sxd.received, sxd.transferred_out, sxd.rejected_not_competent, sxd.duplicates) == (
        13,
        1,
        1,
        1,
    )
    assert sxd.within_competence == 10
    assert (sxd.accepted, sxd.accepted_on_time) == (8, 7)
    assert (sxd.resolved, sxd.resolved_on_time, sxd.resolved_late) == (5, 4, 1)
    assert (sxd.closed_unfixed, sxd.rejected) == (1, 1)
    assert (sxd.open, sxd.overdue_open) == (3, 1)
    # Working hours 8, 9, 19, 24, 42.
    assert sxd.median_hours_to_resolve == pytest.approx(19)
    assert sxd.mean_hours_to_resolve == pytest.approx(20.4)
    assert (sxd.ratings, sxd.unsatisfied) == (5, 2)
    assert sxd.rating_mean == pytest.approx(3.4)
    assert sxd.unsatisfied_share == pytest.approx(0.4)
    assert sxd.reopened == 1
    assert sxd.reopen_rate == pytest.approx(1 / 5)
    # Decision 766: 4 resolved on time of 10 within competence; (10 − |{R2, R4, R5}|) ÷ 10.
    assert sxd.ratio_on_time == pytest.approx(0.4)
    assert sxd.ratio_satisfied_on_time == pytest.approx(0.7)


def test_a_transfer_counts_in_both_agencies_records(book: dict[str, object]) -> None:
    session = book["session"]
    assert isinstance(session, Session)
    scores = _scores(session)
    ward = scores[f"UBND-{WARD}"]
    assert (ward.received, ward.transferred_out, ward.within_competence) == (1, 1, 0)
    assert ward.ratio_on_time is None and ward.ratio_satisfied_on_time is None
    pctn = scores["PCTN"]
    assert (pctn.received, pctn.within_competence, pctn.resolved_on_time) == (1, 1, 1)
    assert pctn.median_hours_to_resolve == pytest.approx(5)
    assert pctn.ratio_satisfied_on_time == pytest.approx(1.0)


def test_ranking_needs_the_minimum_volume(book: dict[str, object]) -> None:
    session = book["session"]
    assert isinstance(session, Session)
    scores = evaluate_agencies(session, start=START, end=END, now=NOW)
    assert [(s.code, s.ranked, s.rank) for s in scores] == [
        ("CAT", True, 1),  # (12 − 3) ÷ 12 = 0.75
        ("SXD", True, 2),  # 0.7
        ("PCTN", False, None),  # 1.0, but from a single report
        (f"UBND-{WARD}", False, None),
    ]
    cat = scores[0]
    assert (cat.ratio_on_time, cat.ratio_satisfied_on_time) == (1.0, 0.75)
    with_one = evaluate_agencies(session, start=START, end=END, now=NOW, min_volume=1)
    assert [(s.code, s.rank) for s in with_one] == [
        ("PCTN", 1),
        ("CAT", 2),
        ("SXD", 3),
        (f"UBND-{WARD}", None),
    ]


def test_equal_figures_share_a_rank(book: dict[str, object]) -> None:
    session = book["session"]
    assert isinstance(session, Session)
    scores = evaluate_agencies(session, start=START, end=END, now=NOW, min_volume=1)
    from ioc.reports.evaluation import _rank

    tied = [replace(s, ratio_satisfied_on_time=0.5, ratio_on_time=0.5) for s in scores[:3]]
    assert [s.rank for s in _rank(tied, 1)] == [1, 1, 1]


def test_evaluation_by_commune(book: dict[str, object]) -> None:
    session = book["session"]
    assert isinstance(session, Session)
    scores = _scores(session, area_code=OTHER_WARD)
    assert list(scores) == ["SXD"]
    assert (scores["SXD"].received, scores["SXD"].resolved_on_time) == (1, 1)
    assert scores["SXD"].median_hours_to_resolve == pytest.approx(8)
    officers = evaluate_officers(session, start=START, end=END, area_code=OTHER_WARD)
    assert [(o.name, o.resolved) for o in officers] == [("Trần Thị Bình", 1)]


def test_officer_figures_count_the_standing_resolution(book: dict[str, object]) -> None:
    session = book["session"]
    assert isinstance(session, Session)
    officers = evaluate_officers(session, start=START, end=END)
    got = [
        (
            o.name,
            o.agency_code,
            o.resolved,
            o.resolved_on_time,
            o.reopened,
            o.ratings,
            round(o.rating_mean, 3) if o.rating_mean is not None else None,
        )
        for o in officers
    ]
    assert got == [
        ("Phạm Thị Dung", "CAT", 12, 12, 0, 12, 4.0),  # (9 × 5 + 3 × 1) ÷ 12
        ("Nguyễn Văn An", "SXD", 3, 2, 1, 3, 3.667),  # R1, R2 (late), R3; ratings 5, 2, 4
        ("Trần Thị Bình", "SXD", 2, 2, 0, 1, 5.0),  # R8, R13; R3 went to U1 after reopening
        ("Lê Văn Cường", "PCTN", 1, 1, 0, 1, 5.0),  # R9
    ]


def test_evaluate_bundles_both_tables(book: dict[str, object]) -> None:
    session = book["session"]
    assert isinstance(session, Session)
    result = evaluate(session, start=START, end=END, now=NOW)
    assert result.min_volume == 10
    assert [s.code for s in result.agencies][:2] == ["CAT", "SXD"]
    assert len(result.officers) == 4


def test_empty_period_gives_empty_tables(book: dict[str, object]) -> None:
    session = book["session"]
    assert isinstance(session, Session)
    result = evaluate(session, start=END, end=datetime(2026, 5, 1, tzinfo=VIETNAM_TZ), now=NOW)
    assert result.agencies == [] and result.officers == []


# --- exports ---------------------------------------------------------------------------------


def test_csv_round_trips_with_a_byte_order_mark(book: dict[str, object]) -> None:
    session = book["session"]
    assert isinstance(session, Session)
    scores = evaluate_agencies(session, start=START, end=END, now=NOW)
    data = agencies_csv(scores)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == HEADERS
    assert rows[0][2] == "Cơ quan, đơn vị"
    by_code = {row[1]: dict(zip(HEADERS, row, strict=True)) for row in rows[1:]}
    sxd = by_code["SXD"]
    assert sxd["Hạng"] == "2"
    assert sxd["Cơ quan, đơn vị"] == "Sở Xây dựng"
    assert sxd["Tiếp nhận"] == "13"
    assert sxd["Thời gian xử lý trung bình (giờ làm việc)"] == "20.4"
    assert sxd["Tỷ lệ hài lòng, đúng hạn (QĐ 766)"] == "0.7"
    assert by_code["PCTN"]["Hạng"] == NOT_RANKED
    assert by_code[f"UBND-{WARD}"]["Tỷ lệ trả lời đúng hạn (QĐ 766)"] == ""


def test_xlsx_opens_with_header_formats_and_frozen_row(book: dict[str, object]) -> None:
    session = book["session"]
    assert isinstance(session, Session)
    scores = evaluate_agencies(session, start=START, end=END, now=NOW)
    # A name that a spreadsheet would run as a formula must stay text.
    scores[-1] = replace(scores[-1], name='=HYPERLINK("http://x")')
    sheet = load_workbook(io.BytesIO(agencies_xlsx(scores, title="Tháng 3/2026"))).active
    assert sheet is not None
    assert sheet.title == "Đánh giá cơ quan"
    assert sheet.freeze_panes == "A2"
    assert tuple(c.value for c in sheet[1]) == HEADERS
    assert sheet["A1"].font.bold
    col = {h: i + 1 for i, h in enumerate(HEADERS)}
    assert sheet.cell(2, col["Mã cơ quan"]).value == "CAT"
    assert sheet.cell(2, col["Hạng"]).value == 1
    assert sheet.cell(3, col["Cơ quan, đơn vị"]).value == "Sở Xây dựng"
    ratio = sheet.cell(3, col["Tỷ lệ hài lòng, đúng hạn (QĐ 766)"])
    assert ratio.value == pytest.approx(0.7)
    assert ratio.number_format == "0.0%"
    assert sheet.cell(3, col["Tiếp nhận"]).value == 13
    assert sheet.cell(3, col["Thời gian xử lý trung vị (giờ làm việc)"]).number_format == "0.0"
    assert sheet.cell(4, col["Hạng"]).value == NOT_RANKED
    last = sheet.cell(5, col["Cơ quan, đơn vị"])
    assert last.value == '=HYPERLINK("http://x")' and last.data_type == "s"
    assert sheet.column_dimensions["C"].width >= len("Sở Xây dựng")
    assert sheet.max_row == 1 + len(scores)


# --- what service.resolve stores for the scorecard -------------------------------------------


def test_resolving_stores_the_working_time_and_the_officer(seeded: Session) -> None:
    """Filed with ward A on Monday 08:00, transferred to ward B at 10:00, resolved Tuesday
    09:00 (7 working hours at B, 9 since A's receipt), reopened Wednesday 09:00 and resolved
    again at 11:00 by another officer (17 working hours at B)."""
    session = seeded
    category = make_category(session)
    area_a, area_b = communes(session, 2)
    add_rule(session, category, "commune")
    ward_b = agency(session, f"UBND-{area_b.code}")
    operator, second = person(session, "operator"), person(session, "operator")
    citizen = person(session, "citizen")
    r = make_report(session, category, actor=citizen, area=area_a, now=at(2, 8))
    reports.transfer(session, operator, r, to_agency=ward_b, reason="x", now=at(2, 10))
    reports.accept(session, operator, r, now=at(2, 11))
    reports.resolve(session, operator, r, answer="Đã sửa", now=at(3, 9))

    def records() -> list[tuple[int, int | None, datetime | None, int | None]]:
        rows = session.scalars(
            select(ReportAgencyRecord)
            .where(ReportAgencyRecord.report_id == r.id)
            .order_by(ReportAgencyRecord.id)
        )
        return [
            (x.agency_id, x.resolver_id, x.resolved_at, x.resolve_working_seconds) for x in rows
        ]

    a_id = records()[0][0]
    assert records() == [
        (a_id, None, None, 9 * 3600),
        (ward_b.id, operator.user_id, at(3, 9), 7 * 3600),
    ]
    reports.reopen(session, citizen, r, reason="Vẫn hỏng", now=at(4, 9))
    # Reopened: no resolution counts, for the agency or the officer.
    assert evaluate_officers(session, start=START, end=END) == []
    assert _scores(session)[ward_b.code].resolved == 0
    reports.resolve(session, second, r, answer="Đã sửa xong", now=at(4, 11))
    assert records()[1] == (ward_b.id, second.user_id, at(4, 11), 17 * 3600)
    officers = evaluate_officers(session, start=START, end=END)
    assert [(o.user_id, o.resolved, o.reopened) for o in officers] == [(second.user_id, 1, 1)]
    b = _scores(session)[ward_b.code]
    assert (b.resolved, b.median_hours_to_resolve) == (1, pytest.approx(17))


def test_a_record_without_stored_working_time_is_worked_out(book: dict[str, object]) -> None:
    """Rows written below the service (imports, old data) still count, with the calendar."""
    session = book["session"]
    assert isinstance(session, Session)
    for record in session.scalars(select(ReportAgencyRecord)):
        record.resolve_working_seconds = None
    session.flush()
    sxd = _scores(session)["SXD"]
    assert sxd.median_hours_to_resolve == pytest.approx(19)
    assert sxd.mean_hours_to_resolve == pytest.approx(20.4)
