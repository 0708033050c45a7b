"""The leader's report as an A4 PDF, drawn with fpdf2: a title block in the manner of a
provincial document, numbered sections, tables whose header rows repeat on every page, charts
drawn as vector graphics, page numbers and the time it was generated.

The font is Be Vietnam Pro, the console's own, from the vendored web fonts (WOFF2, read by
fontTools with Brotli). Its web files are split by script: the Latin file carries plain letters
and the Vietnamese file the letters with diacritics, so the second is a per-glyph fallback of
the first."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos

from ioc.briefings.figures import BriefingData, Figure, local
from ioc.briefings.pdf_charts import (
    FALLBACK,
    FAMILY,
    FONT_DIR,
    HEAD_FILL,
    INK,
    MARGIN,
    MUTED,
    PRIMARY,
    RULE,
    SERIES,
    STRIPE,
    WEIGHTS,
    bar_chart,
    line_chart,
    tile,
)
from ioc.briefings.render import (
    BAND_COLOURS,
    BAND_LABELS,
    decimal,
    percent,
    short_agency,
)
from ioc.kit.i18n import format_local_datetime, format_number, translator

# The ranking shows every ranked agency and the busiest of the others; the workbook has all.
UNRANKED_SHOWN = 8


class FontMissing(RuntimeError):
    """The vendored fonts are absent: run `npm run vendor` (part of `make setup`)."""


@cache
def _font_files() -> dict[tuple[str, str], Path]:
    files = {}
    for style, weight in WEIGHTS.items():
        for family, subset in ((FAMILY, "latin"), (FALLBACK, "vietnamese")):
            path = FONT_DIR / f"be-vietnam-pro-{subset}-{weight}-normal.woff2"
            if not path.is_file():
                raise FontMissing(f"{path} is missing: run `npm run vendor` (make setup)")
            files[(family, style)] = path
    return files


class _Document(FPDF):
    def __init__(self, running_title: str, footer_left: str, page_label: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.running_title = running_title
        self.footer_left = footer_left
        self.page_label = page_label  # "Trang {page}/{pages}"
        for (family, style), path in _font_files().items():
            self.add_font(family, style, str(path))
        self.set_fallback_fonts([FALLBACK])
        self.set_margins(MARGIN, 18, MARGIN)
        self.set_auto_page_break(True, margin=18)
        self.set_text_color(*INK)

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(FAMILY, "", 7.5)
        self.set_text_color(*MUTED)
        self.set_xy(MARGIN, 8)
        self.cell(0, 4, self.running_title, align="L")
        self.set_draw_color(*RULE)
        self.line(MARGIN, 13, self.w - MARGIN, 13)
        self.set_text_color(*INK)
        self.set_y(18)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_draw_color(*RULE)
        self.line(MARGIN, self.get_y() - 1.5, self.w - MARGIN, self.get_y() - 1.5)
        self.set_font(FAMILY, "", 7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 4, self.footer_left, align="L")
        self.set_x(MARGIN)
        text = self.page_label.format(page=self.page_no(), pages="{nb}")
        self.cell(0, 4, text, align="R")
        self.set_text_color(*INK)

    @property
    def content_width(self) -> float:
        return self.w - 2 * MARGIN


def render_pdf(data: BriefingData, *, locale: str = "vi") -> bytes:
    _ = translator(locale)
    title = data.period.title(_)
    scope = data.agency_name or _("Thái Nguyên province")
    running = " · ".join(
        [
            _("Thái Nguyên Provincial People's Committee"),
            _("The Intelligent Operations Centre"),
            title,
        ]
    )
    generated = _("Generated at {time}", time=format_local_datetime(data.generated_at, locale))
    pdf = _Document(running, generated, _("Page {page}/{pages}"))
    pdf.set_title(f"{title} — {scope}")
    pdf.set_author(_("The Intelligent Operations Centre"))
    pdf.set_subject(_("Field reports: reception, handling and satisfaction"))
    pdf.set_lang(locale)
    pdf.set_creation_date(data.generated_at)
    pdf.add_page()
    _title_block(pdf, data, title, scope, _, locale)
    _section(pdf, _("1. Scorecard"))
    _scorecard(pdf, data.figures, locale, _)
    _channels(pdf, data, _)
    if data.tiles:
        _indicators(pdf, data, _)
    _section(pdf, _("2. Ranking of agencies"))
    _ranking(pdf, data, locale, _)
    _section(pdf, _("3. Oldest outstanding reports"))
    _outstanding(pdf, data, locale, _)
    _section(pdf, _("4. Trends over the last {n} periods", n=len(data.trend)), need=130)
    _trends(pdf, data, locale, _)
    return bytes(pdf.output())


def _title_block(
    pdf: _Document, data: BriefingData, title: str, scope: str, _: Callable[..., str], locale: str
) -> None:
    half = pdf.content_width / 2
    top = pdf.get_y()
    pdf.set_font(FAMILY, "", 9.5)
    pdf.set_xy(MARGIN, top)
    pdf.cell(half, 5, _("Thái Nguyên Provincial People's Committee").upper(), align="C")
    pdf.set_font(FAMILY, "B", 9.5)
    pdf.cell(half, 5, _("Socialist Republic of Vietnam").upper(), align="C")
    pdf.set_xy(MARGIN, top + 5)
    pdf.cell(half, 5, _("The Intelligent Operations Centre").upper(), align="C")
    pdf.cell(half, 5, _("Independence – Freedom – Happiness"), align="C")
    pdf.set_draw_color(*INK)
    pdf.line(MARGIN + half / 2 - 14, top + 11.2, MARGIN + half / 2 + 14, top + 11.2)
    pdf.line(MARGIN + half * 1.5 - 22, top + 11.2, MARGIN + half * 1.5 + 22, top + 11.2)
    pdf.set_font(FAMILY, "", 9)
    pdf.set_text_color(*MUTED)
    pdf.set_xy(MARGIN + half, top + 12)
    issued = local(data.generated_at)
    pdf.cell(
        half,
        5,
        _(
            "Thái Nguyên, {day:02d}/{month:02d}/{year}",
            day=issued.day,
            month=issued.month,
            year=issued.year,
        ),
        align="C",
    )
    pdf.set_text_color(*INK)
    pdf.set_y(top + 24)
    pdf.set_font(FAMILY, "B", 17)
    pdf.set_text_color(*PRIMARY)
    pdf.cell(0, 9, title.upper(), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)
    pdf.set_font(FAMILY, "B", 11)
    pdf.cell(
        0,
        6,
        _("Reception and handling of citizens' field reports — {scope}", scope=scope),
        align="C",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_font(FAMILY, "", 9.5)
    pdf.set_text_color(*MUTED)
    pdf.cell(
        0,
        5.5,
        _("Period: {span}", span=data.period.span())
        + "   ·   "
        + _("Generated at {time}", time=format_local_datetime(data.generated_at, locale)),
        align="C",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_text_color(*INK)
    pdf.ln(3)


def _section(pdf: _Document, text: str, need: float = 60) -> None:
    """A numbered heading, on a new page unless ``need`` mm of what follows fit below it."""
    if pdf.get_y() > pdf.h - need:
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font(FAMILY, "B", 12)
    pdf.set_text_color(*PRIMARY)
    pdf.cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*PRIMARY)
    pdf.set_line_width(0.4)
    pdf.line(MARGIN, pdf.get_y(), MARGIN + 30, pdf.get_y())
    pdf.set_line_width(0.2)
    pdf.set_text_color(*INK)
    pdf.ln(3)


def _note(pdf: _Document, text: str) -> None:
    pdf.set_font(FAMILY, "", 8)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 4, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)


def _scorecard(
    pdf: _Document, figures: Sequence[Figure], locale: str, _: Callable[..., str]
) -> None:
    columns, gap, height = 3, 4.0, 30.0
    width = (pdf.content_width - gap * (columns - 1)) / columns
    top = pdf.get_y()
    for i, figure in enumerate(figures):
        row, col = divmod(i, columns)
        x, y = MARGIN + col * (width + gap), top + row * (height + gap)
        tile(pdf, figure, x, y, width, height, locale, _)
    rows = (len(figures) + columns - 1) // columns
    pdf.set_y(top + rows * (height + gap))
    _note(
        pdf,
        _(
            "Answered on time: reports received in the period and within competence that were "
            "fixed by their deadline (Decision 766/QĐ-TTg). Satisfaction: mean of the ratings "
            "citizens gave in the period. Overdue and open: at the time of the report."
        ),
    )


def _table_style(pdf: _Document) -> dict[str, object]:
    # fpdf2 fills the striped rows with the document's current fill colour.
    pdf.set_fill_color(*STRIPE)
    pdf.set_draw_color(*RULE)
    return {
        "headings_style": FontFace(emphasis="BOLD", fill_color=HEAD_FILL, color=INK, size_pt=8),
        "line_height": 5,
        "borders_layout": "HORIZONTAL_LINES",
        "cell_fill_color": STRIPE,
        "cell_fill_mode": "ROWS",
        "repeat_headings": 1,
        "padding": (0.8, 1.2),
        "v_align": "MIDDLE",
    }


def _channels(pdf: _Document, data: BriefingData, _: Callable[..., str]) -> None:
    if not data.channels:
        return
    pdf.ln(2)
    pdf.set_font(FAMILY, "B", 9.5)
    pdf.cell(0, 6, _("Reports received by channel"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 8.5)
    pdf.set_draw_color(*RULE)
    with pdf.table(
        col_widths=(70, 40, 40),
        width=150,
        align="LEFT",
        text_align=("LEFT", "RIGHT", "RIGHT"),
        **_table_style(pdf),
    ) as table:
        table.row([_("Channel"), _("This period"), _("Previous period")])
        for row in data.channels:
            table.row([_(row.label), str(row.received), str(row.previous)])


def _indicators(pdf: _Document, data: BriefingData, _: Callable[..., str]) -> None:
    pdf.ln(3)
    pdf.set_font(FAMILY, "B", 9.5)
    title = (
        _("Agency indicators (latest values)")
        if data.agency_id is not None
        else _("Province indicators (latest values)")
    )
    pdf.cell(0, 6, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 8.5)
    with pdf.table(
        col_widths=(80, 30, 30, 38),
        text_align=("LEFT", "RIGHT", "LEFT", "LEFT"),
        **_table_style(pdf),
    ) as table:
        table.row([_("Indicator"), _("Value"), _("Band"), _("Period")])
        for tile in data.tiles:
            band = {"good": "good", "warning": "warning", "bad": "bad"}.get(tile.band, "none")
            row = table.row()
            row.cell(tile.name)
            row.cell(tile.value_text)
            row.cell(
                _(BAND_LABELS[band]), style=FontFace(color=BAND_COLOURS[band], emphasis="BOLD")
            )
            row.cell(tile.period_label)


def _ranking(pdf: _Document, data: BriefingData, locale: str, _: Callable[..., str]) -> None:
    if not data.ranking:
        _note(pdf, _("No reports in this period."))
        return
    # Every ranked agency, then the busiest of the others; the workbook has them all.
    ranked = [s for s in data.ranking if s.ranked]
    others = [s for s in data.ranking if not s.ranked]
    shown = ranked + others[: max(0, UNRANKED_SHOWN)]
    pdf.set_font(FAMILY, "", 8)
    headers = [
        _("Rank"),
        _("Agency"),
        _("Received"),
        _("Within competence"),
        _("Resolved on time"),
        _("Late"),
        _("Overdue, still open"),
        _("Satisfaction"),
        _("On time (766)"),
        _("Satisfied and on time (766)"),
    ]
    with pdf.table(
        col_widths=(10, 46, 14, 18, 16, 11, 16, 14, 14, 19),
        text_align=(
            "CENTER",
            "LEFT",
            "RIGHT",
            "RIGHT",
            "RIGHT",
            "RIGHT",
            "RIGHT",
            "RIGHT",
            "RIGHT",
            "RIGHT",
        ),
        **_table_style(pdf),
    ) as table:
        table.row(headers)
        for s in shown:
            own = data.agency_id is not None and s.agency_id == data.agency_id
            style = FontFace(emphasis="BOLD", fill_color=HEAD_FILL) if own else None
            row = table.row(style=style)
            row.cell(str(s.rank) if s.ranked else "—")
            row.cell(short_agency(s.name))
            row.cell(str(s.received))
            row.cell(str(s.within_competence))
            row.cell(str(s.resolved_on_time))
            row.cell(str(s.resolved_late))
            row.cell(str(s.overdue_open))
            row.cell(decimal(s.rating_mean, locale))
            row.cell(percent(s.ratio_on_time, locale))
            row.cell(percent(s.ratio_satisfied_on_time, locale))
    pdf.ln(1)
    _note(
        pdf,
        _(
            "Ranked by (all − unsatisfied − late) ÷ all, then by answered on time ÷ within "
            "competence (Decision 766/QĐ-TTg). Agencies with fewer than {n} reports within "
            "competence are listed but not ranked (—).",
            n=data.min_volume,
        ),
    )
    if len(shown) < len(data.ranking):
        _note(
            pdf,
            _(
                "{n} more agencies received fewer reports: see the Excel workbook.",
                n=len(data.ranking) - len(shown),
            ),
        )


def _outstanding(pdf: _Document, data: BriefingData, locale: str, _: Callable[..., str]) -> None:
    if not data.outstanding:
        _note(pdf, _("No report is past its deadline."))
        return
    pdf.set_font(FAMILY, "", 7.5)
    with pdf.table(
        col_widths=(29, 39, 32, 41, 21, 16),
        text_align=("LEFT", "LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT"),
        **_table_style(pdf),
    ) as table:
        table.row(
            [
                _("Code"),
                _("Category"),
                _("Commune or ward"),
                _("Agency"),
                _("Due"),
                _("Days overdue"),
            ]
        )
        for r in data.outstanding:
            row = table.row()
            row.cell(r.code)
            row.cell(r.category)
            row.cell(r.commune)
            row.cell(short_agency(r.agency))
            row.cell(f"{local(r.due_at):%d/%m/%Y}")
            row.cell(str(r.days_overdue), style=FontFace(emphasis="BOLD", color=SERIES[2]))
    pdf.ln(1)
    _note(
        pdf,
        _(
            "{shown} of {total} overdue reports, the furthest past their deadline first.",
            shown=len(data.outstanding),
            total=data.outstanding_total,
        ),
    )


def _trends(pdf: _Document, data: BriefingData, locale: str, _: Callable[..., str]) -> None:
    labels = [p.period.compact(_) for p in data.trend]
    bar_chart(
        pdf,
        _("Reports received and resolved"),
        labels,
        [
            (_("Received"), [p.received for p in data.trend]),
            (_("Resolved"), [p.resolved for p in data.trend]),
        ],
        locale,
    )
    pdf.ln(4)
    line_chart(
        pdf,
        _("Answered on time (Decision 766), %"),
        labels,
        [None if p.on_time is None else p.on_time * 100 for p in data.trend],
        locale,
        _("Target {value}", value="90 %"),
    )
    pdf.ln(3)
    pdf.set_font(FAMILY, "", 7.5)
    widths = [22] + [(pdf.content_width - 22) / len(labels)] * len(labels)
    with pdf.table(
        col_widths=widths,
        text_align=["LEFT"] + ["RIGHT"] * len(labels),
        **_table_style(pdf),
    ) as table:
        table.row(["", *labels])
        table.row([_("Received"), *(str(p.received) for p in data.trend)])
        table.row([_("Resolved"), *(str(p.resolved) for p in data.trend)])
        table.row(
            [
                _("On time"),
                *(
                    "—" if p.on_time is None else format_number(p.on_time * 100, locale)
                    for p in data.trend
                ),
            ]
        )
        table.row([_("Satisfaction"), *(decimal(p.rating, locale, 1) for p in data.trend)])
