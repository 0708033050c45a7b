"""The agency evaluation table as CSV and Excel, with a Vietnamese header row.

CSV is UTF-8 with a byte-order mark: without it Excel reads the file as the ANSI code page and
Vietnamese names come out garbled. Its numbers use a decimal point (machines read CSV); people
who open it in Excel set to Vietnamese (decimal comma) should take the .xlsx, whose cells carry
real numbers and formats. The caller audits the export (`kit.audit`), as for any export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ioc.reports.evaluation import AgencyScore

NOT_RANKED = "Chưa xếp hạng"
INTEGER, HOURS, RATING, PERCENT, TEXT = "0", "0.0", "0.00", "0.0%", "@"


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[AgencyScore], Any]
    number_format: str


COLUMNS: tuple[Column, ...] = (
    Column("Hạng", lambda s: s.rank if s.ranked else NOT_RANKED, INTEGER),
    Column("Mã cơ quan", lambda s: s.code, TEXT),
    Column("Cơ quan, đơn vị", lambda s: s.name, TEXT),
    Column("Tiếp nhận", lambda s: s.received, INTEGER),
    Column("Chuyển cơ quan khác", lambda s: s.transferred_out, INTEGER),
    Column("Trả lại do không thuộc thẩm quyền", lambda s: s.rejected_not_competent, INTEGER),
    Column("Trùng lặp", lambda s: s.duplicates, INTEGER),
    Column("Thuộc thẩm quyền", lambda s: s.within_competence, INTEGER),
    Column("Tiếp nhận đúng hạn", lambda s: s.accepted_on_time, INTEGER),
    Column("Đã giải quyết", lambda s: s.resolved, INTEGER),
    Column("Giải quyết đúng hạn", lambda s: s.resolved_on_time, INTEGER),
    Column("Giải quyết trễ hạn", lambda s: s.resolved_late, INTEGER),
    Column("Đóng, chưa khắc phục", lambda s: s.closed_unfixed, INTEGER),
    Column("Từ chối (lý do khác)", lambda s: s.rejected, INTEGER),
    Column("Đang xử lý", lambda s: s.open, INTEGER),
    Column("Quá hạn chưa xử lý xong", lambda s: s.overdue_open, INTEGER),
    Column("Thời gian xử lý trung vị (giờ làm việc)", lambda s: s.median_hours_to_resolve, HOURS),
    Column("Thời gian xử lý trung bình (giờ làm việc)", lambda s: s.mean_hours_to_resolve, HOURS),
    Column("Số lượt đánh giá", lambda s: s.ratings, INTEGER),
    Column("Điểm hài lòng trung bình (1–5)", lambda s: s.rating_mean, RATING),
    Column("Tỷ lệ không hài lòng", lambda s: s.unsatisfied_share, PERCENT),
    Column("Bị mở lại", lambda s: s.reopened, INTEGER),
    Column("Tỷ lệ mở lại", lambda s: s.reopen_rate, PERCENT),
    Column("Tỷ lệ trả lời đúng hạn (QĐ 766)", lambda s: s.ratio_on_time, PERCENT),
    Column("Tỷ lệ hài lòng, đúng hạn (QĐ 766)", lambda s: s.ratio_satisfied_on_time, PERCENT),
)
HEADERS = tuple(column.header for column in COLUMNS)


def _safe_text(value: str) -> str:
    # A cell starting with =, +, - or @ is run as a formula by spreadsheet programs (CSV
    # injection); names are typed by administrators, so they are defused.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    if isinstance(value, str):
        return _safe_text(value)
    return str(value)


def _shown_width(value: Any) -> int:
    # Floats show as "83.3%" or "12.5", not as their full repr.
    if isinstance(value, float):
        return 7
    return len(str(value if value is not None else ""))


def agencies_csv(scores: Sequence[AgencyScore]) -> bytes:
    """The table as CSV bytes: UTF-8 with BOM, CRLF line ends (RFC 4180), ratios as 0–1."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for score in scores:
        writer.writerow([_csv_value(column.value(score)) for column in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def agencies_xlsx(scores: Sequence[AgencyScore], *, title: str = "") -> bytes:
    """The table as an .xlsx workbook: bold header row frozen in place, number formats per
    column (ratios as percentages), widths fitted to the content."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = "Đánh giá cơ quan"
    if title:
        workbook.properties.title = title
    sheet.append(list(HEADERS))
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[1]:
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row_number, score in enumerate(scores, start=2):
        for col_number, column in enumerate(COLUMNS, start=1):
            value = column.value(score)
            cell = sheet.cell(row=row_number, column=col_number)
            if isinstance(value, str):
                cell.value = value
                # openpyxl turns a string starting with "=" into a formula; force text.
                cell.data_type = "s"
            else:
                cell.value = value
                cell.number_format = column.number_format
    sheet.freeze_panes = "A2"
    for col_number, column in enumerate(COLUMNS, start=1):
        longest = max([_shown_width(column.value(score)) for score in scores] + [8])
        # Long headers wrap; the width follows the data, within reason.
        width = min(max(longest + 2, min(len(column.header), 18)), 60)
        sheet.column_dimensions[get_column_letter(col_number)].width = width
    sheet.row_dimensions[1].height = 45
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
