"""The PDF's layout on a long report: tables that run over a page repeat their header row,
every page is numbered, and the charts are drawn."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader

from ioc.briefings import periods
from ioc.briefings.figures import (
    BriefingData,
    ChannelRow,
    Figure,
    OutstandingRow,
    TrendPoint,
)
from ioc.briefings.pdf import render_pdf
from ioc.reports.evaluation import AgencyScore

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def _agency(i: int) -> AgencyScore:
    return AgencyScore(
        agency_id=i, code=f"A{i}", name=f"Ủy ban nhân dân xã Thử Nghiệm {i}", received=20,
        transferred_out=0, rejected_not_competent=0, duplicates=0, within_competence=20,
        accepted=20, accepted_on_time=20, resolved=18, resolved_on_time=17, resolved_late=1,
        closed_unfixed=0, rejected=0, open=2, overdue_open=1, median_hours_to_resolve=8.0,
        mean_hours_to_resolve=9.0, ratings=10, rating_mean=4.2, unsatisfied=1,
        unsatisfied_share=0.1, reopened=0, reopen_rate=0.0, ratio_on_time=0.85,
        ratio_satisfied_on_time=0.8, ranked=True, rank=i,
    )  # fmt: skip


def _long_report() -> BriefingData:
    week = periods.parse("week", "2026-W47")
    return BriefingData(
        period=week,
        agency_id=None,
        agency_name="",
        generated_at=NOW,
        figures=[Figure("received", "Reports received", 412, 380, "count", "none", None)],
        channels=[ChannelRow("app", "Citizen app", 412, 380)],
        tiles=[],
        ranking=[_agency(i) for i in range(1, 71)],
        min_volume=3,
        outstanding=[
            OutstandingRow(
                f"PA-2026-{i:06d}",
                "Ổ gà, hư hỏng mặt đường",
                "Phường Quyết Thắng",
                "Sở Xây dựng",
                NOW - timedelta(days=40),
                NOW - timedelta(days=20 - i),
                20 - i,
            )
            for i in range(15)
        ],
        outstanding_total=15,
        trend=[TrendPoint(p, 300, 280, 0.8, 4.1) for p in week.back(12)],
    )


def test_long_tables_repeat_their_header_on_every_page() -> None:
    reader = PdfReader(io.BytesIO(render_pdf(_long_report())))
    pages = [unicodedata.normalize("NFC", page.extract_text()) for page in reader.pages]
    assert len(pages) >= 3
    with_rows = [text for text in pages if "Thử Nghiệm" in text]
    assert len(with_rows) >= 2, "the ranking should run over a page"
    for text in with_rows:
        # The header row again (its cells wrap over lines).
        assert re.search(r"Thuộc\s+thẩm\s+quyền", text) and re.search(r"\bHạng\b", text)
    for number, text in enumerate(pages, start=1):
        assert f"Trang {number}/{len(pages)}" in text
    # Each agency once, all 70 of them, in rank order.
    joined = "\n".join(pages)
    positions = [joined.find(f"UBND xã Thử Nghiệm {i} 20 ") for i in range(1, 71)]
    assert -1 not in positions and positions == sorted(positions)


def test_charts_are_drawn_as_vector_graphics() -> None:
    reader = PdfReader(io.BytesIO(render_pdf(_long_report())))
    last = reader.pages[-1]
    content = last.get_contents()
    assert content is not None
    ops = content.get_data()
    # Bars are filled rectangles ("re" … "f"), the on-time line a stroked path.
    assert ops.count(b" re") > 24
    assert b" l" in ops and b"S" in ops
    assert "Tỷ lệ trả lời đúng hạn" in unicodedata.normalize("NFC", last.extract_text())
