"""The leader's report as an Excel workbook: one sheet per section, a bold filled header row
frozen in place, real numbers with number formats (ratios as percentages), widths fitted."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ioc.briefings.figures import BriefingData, local
from ioc.briefings.render import BAND_LABELS, short_agency
from ioc.kit.i18n import format_local_datetime, translator

INTEGER, PERCENT, RATING, DATE, TEXT = "#,##0", "0.0%", "0.00", "dd/mm/yyyy", "@"
HEADER_FILL = PatternFill("solid", fgColor="DFECF9")
TITLE_FONT = Font(bold=True, size=14, color="1D64AD")
BAND_FILLS = {
    "good": PatternFill("solid", fgColor="CCEFE4"),
    "warning": PatternFill("solid", fgColor="FBEBC7"),
    "bad": PatternFill("solid", fgColor="F6D7C2"),
}


def _text(value: str) -> str:
    # A cell starting with =, +, - or @ would run as a formula (names are typed by people).
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def _sheet(
    workbook: Workbook,
    name: str,
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    formats: Sequence[str],
) -> Worksheet:
    sheet = workbook.create_sheet(name[:31])
    sheet["A1"] = title
    sheet["A1"].font = TITLE_FONT
    sheet.append([])
    sheet.append(list(headers))
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for values in rows:
        sheet.append([_text(v) if isinstance(v, str) else v for v in values])
        for cell, fmt in zip(sheet[sheet.max_row], formats, strict=False):
            if not isinstance(cell.value, str):
                cell.number_format = fmt
            else:
                cell.data_type = "s"
    sheet.freeze_panes = "A4"
    sheet.row_dimensions[3].height = 32
    for col, header in enumerate(headers, start=1):
        longest = max(
            [len(str(r[col - 1])) if isinstance(r[col - 1], str) else 9 for r in rows] + [8]
        )
        width = min(max(longest + 2, min(len(header), 16) + 2), 60)
        sheet.column_dimensions[get_column_letter(col)].width = width
    return sheet


def render_xlsx(data: BriefingData, *, locale: str = "vi") -> bytes:
    _: Callable[..., str] = translator(locale)
    title = data.period.title(_)
    scope = data.agency_name or _("Thái Nguyên province")
    workbook = Workbook()
    default = workbook.active
    if default is not None:
        workbook.remove(default)
    workbook.properties.title = f"{title} — {scope}"
    workbook.properties.creator = _("The Intelligent Operations Centre")
    heading = f"{title} — {scope} ({data.period.span()})"

    scorecard = _sheet(
        workbook,
        _("Scorecard"),
        heading,
        [_("Figure"), _("This period"), _("Previous period"), _("Band"), _("How it is counted")],
        [
            [
                _(f.label),
                f.value,
                f.previous,
                _(BAND_LABELS[f.band]),
                _(f.note) if f.note else "",
            ]
            for f in data.figures
        ],
        [TEXT, INTEGER, INTEGER, TEXT, TEXT],
    )
    for row_number, figure in enumerate(data.figures, start=4):
        fmt = {"ratio": PERCENT, "rating": RATING}.get(figure.kind, INTEGER)
        for col in (2, 3):
            scorecard.cell(row=row_number, column=col).number_format = fmt
        fill = BAND_FILLS.get(figure.band)
        if fill is not None:
            scorecard.cell(row=row_number, column=4).fill = fill
    start = len(data.figures) + 6
    scorecard.cell(row=start, column=1, value=_("Channel")).font = Font(bold=True)
    scorecard.cell(row=start, column=2, value=_("This period")).font = Font(bold=True)
    scorecard.cell(row=start, column=3, value=_("Previous period")).font = Font(bold=True)
    for offset, channel in enumerate(data.channels, start=1):
        scorecard.cell(row=start + offset, column=1, value=_(channel.label))
        scorecard.cell(row=start + offset, column=2, value=channel.received).number_format = INTEGER
        scorecard.cell(row=start + offset, column=3, value=channel.previous).number_format = INTEGER
    note_row = start + len(data.channels) + 2
    scorecard.cell(
        row=note_row,
        column=1,
        value=_("Generated at {time}", time=format_local_datetime(data.generated_at, locale)),
    )

    if data.tiles:
        _sheet(
            workbook,
            _("Indicators"),
            _("Agency indicators (latest values)")
            if data.agency_id is not None
            else _("Province indicators (latest values)"),
            [_("Indicator"), _("Value"), _("Unit"), _("Band"), _("Period")],
            [
                [t.name, t.value, t.unit, _(BAND_LABELS.get(t.band, "No target")), t.period_label]
                for t in data.tiles
            ],
            [TEXT, "0.00", TEXT, TEXT, TEXT],
        )

    _sheet(
        workbook,
        _("Ranking"),
        _("Ranking of agencies") + f" — {heading}",
        [
            _("Rank"),
            _("Agency code"),
            _("Agency"),
            _("Received"),
            _("Within competence"),
            _("Resolved on time"),
            _("Late"),
            _("Overdue, still open"),
            _("Ratings"),
            _("Satisfaction"),
            _("On time (766)"),
            _("Satisfied and on time (766)"),
        ],
        [
            [
                s.rank if s.ranked else _("Not ranked"),
                s.code,
                short_agency(s.name),
                s.received,
                s.within_competence,
                s.resolved_on_time,
                s.resolved_late,
                s.overdue_open,
                s.ratings,
                s.rating_mean,
                s.ratio_on_time,
                s.ratio_satisfied_on_time,
            ]
            for s in data.ranking
        ],
        [
            INTEGER,
            TEXT,
            TEXT,
            INTEGER,
            INTEGER,
            INTEGER,
            INTEGER,
            INTEGER,
            INTEGER,
            RATING,
            PERCENT,
            PERCENT,
        ],
    )
    _sheet(
        workbook,
        _("Outstanding"),
        _("Oldest outstanding reports"),
        [
            _("Code"),
            _("Category"),
            _("Commune or ward"),
            _("Agency"),
            _("Received on"),
            _("Due"),
            _("Days overdue"),
        ],
        [
            [
                r.code,
                r.category,
                r.commune,
                short_agency(r.agency),
                _local_naive(r.submitted_at),
                _local_naive(r.due_at),
                r.days_overdue,
            ]
            for r in data.outstanding
        ],
        [TEXT, TEXT, TEXT, TEXT, DATE, DATE, INTEGER],
    )
    _sheet(
        workbook,
        _("Trends"),
        _("Trends over the last {n} periods", n=len(data.trend)),
        [
            _("Period"),
            _("First day"),
            _("Last day"),
            _("Received"),
            _("Resolved"),
            _("On time (766)"),
            _("Satisfaction"),
        ],
        [
            [
                p.period.short(_),
                p.period.start,
                p.period.last_day,
                p.received,
                p.resolved,
                p.on_time,
                p.rating,
            ]
            for p in data.trend
        ],
        [TEXT, DATE, DATE, INTEGER, INTEGER, PERCENT, RATING],
    )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _local_naive(value: datetime) -> datetime:
    # Excel has no time zones: dates are written in the province's local time.
    return local(value).replace(tzinfo=None)
