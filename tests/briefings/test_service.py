"""Generating the report: the PDF and the workbook as documents, and the scheduled job."""

from __future__ import annotations

import io
import unicodedata
from datetime import datetime

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.briefings import periods, service
from ioc.briefings.models import Briefing
from ioc.kit.events import Event
from ioc.kit.workdays import VIETNAM_TZ
from tests.briefings.conftest import NOW, Week

W11 = periods.parse("week", "2026-W11")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def test_pdf_is_an_a4_document_with_the_vietnamese_title(seeded: Session, week: Week) -> None:
    briefing = service.generate(seeded, period=W11, now=NOW)
    assert briefing.pdf[:5] == b"%PDF-"
    reader = PdfReader(io.BytesIO(briefing.pdf))
    assert len(reader.pages) >= 2
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4 in points
    text = _nfc("\n".join(page.extract_text() for page in reader.pages))
    assert "ỦY BAN NHÂN DÂN TỈNH THÁI NGUYÊN" in text
    assert "TRUNG TÂM ĐIỀU HÀNH THÔNG MINH" in text
    assert "BÁO CÁO TUẦN 11/2026" in text
    # The running header of the following pages names the report in ordinary case.
    assert "Trung tâm Điều hành thông minh · Báo cáo tuần 11/2026" in text
    assert f"Trang 1/{len(reader.pages)}" in text
    assert "Lập lúc 10:00 20/03/2026" in text
    for heading in ("1. Các chỉ số chính", "2. Xếp hạng cơ quan, đơn vị", "3. Phản ánh tồn đọng"):
        assert heading in text
    assert week.reports["r10"].code in text
    assert "33,3 %" in text  # answered on time, 2 of 6
    assert briefing.pdf_size == len(briefing.pdf)


def test_workbook_has_a_sheet_per_section_with_values(seeded: Session, week: Week) -> None:
    briefing = service.generate(seeded, period=W11, now=NOW)
    book = load_workbook(io.BytesIO(briefing.xlsx))
    # "Chỉ số" (the indicators' latest values) is there when the indicators module has some.
    sections = [name for name in book.sheetnames if name != "Chỉ số"]
    assert sections == ["Bảng chỉ số", "Xếp hạng", "Tồn đọng", "Xu hướng"]
    scorecard = book["Bảng chỉ số"]
    assert scorecard.freeze_panes == "A4"
    rows = {r[0]: r[1:4] for r in scorecard.iter_rows(min_row=4, max_row=9, values_only=True)}
    assert rows["Phản ánh tiếp nhận"] == (8, 1, "Chưa có chỉ tiêu")
    assert rows["Trả lời đúng hạn (QĐ 766)"][0] == 2 / 6
    assert scorecard["B6"].number_format == "0.0%"
    assert scorecard["A3"].font.bold
    ranking = book["Xếp hạng"]
    agencies = [r[1] for r in ranking.iter_rows(min_row=4, values_only=True)]
    assert set(agencies) == {"PCTN", "SXD", "CAT"}
    outstanding = book["Tồn đọng"]
    first = next(outstanding.iter_rows(min_row=4, max_row=4, values_only=True))
    assert first[0] == week.reports["r10"].code
    assert first[6] == 13
    assert first[5] == datetime(2026, 3, 6, 17, 0)  # local time, as Excel has no zones
    trends = book["Xu hướng"]
    last = list(trends.iter_rows(min_row=4, values_only=True))[-1]
    assert last[0] == "T11/2026" and last[3] == 8


def test_generating_again_replaces_the_same_row(seeded: Session, week: Week) -> None:
    first = service.generate(seeded, period=W11, now=NOW)
    again = service.generate(seeded, period=W11, now=NOW.replace(hour=11))
    assert again.id == first.id
    assert seeded.scalar(select(func.count()).select_from(Briefing)) == 1
    events = seeded.scalars(select(Event).where(Event.type == "briefing.generated")).all()
    assert len(events) == 2


def test_job_generates_once_per_period_after_monday_morning(seeded: Session, week: Week) -> None:
    def count() -> list[tuple[str, str]]:
        return sorted(seeded.execute(select(Briefing.kind, Briefing.period_key)).tuples().all())

    monday_early = datetime(2026, 3, 16, 5, 30, tzinfo=VIETNAM_TZ)
    service.run_scheduled(seeded, now=monday_early)
    # Before 06:00 on Monday the week just ended is not due yet: the week before is.
    assert count() == [("month", "2026-02"), ("week", "2026-W10")]
    monday = datetime(2026, 3, 16, 7, 0, tzinfo=VIETNAM_TZ)
    made = service.run_scheduled(seeded, now=monday)
    assert [(b.kind, b.period_key) for b in made] == [("week", "2026-W11")]
    assert service.run_scheduled(seeded, now=monday.replace(hour=9)) == []
    assert count() == [("month", "2026-02"), ("week", "2026-W10"), ("week", "2026-W11")]
    april_first = datetime(2026, 4, 1, 6, 30, tzinfo=VIETNAM_TZ)
    made = service.run_scheduled(seeded, now=april_first)
    assert [(b.kind, b.period_key) for b in made] == [("week", "2026-W13"), ("month", "2026-03")]
    row = made[1]
    assert row.generated_by == "scheduler" and row.generated_by_id is None
