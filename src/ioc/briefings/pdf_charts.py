"""The parts of the leader's report PDF drawn as vector graphics, and the document's style:
colours, the font family, the margins. Charts are drawn with fpdf2's own lines, rectangles and
circles, so they stay sharp at any zoom and print without images."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from ioc.briefings.figures import Figure
from ioc.briefings.render import (
    BAND_COLOURS,
    BAND_LABELS,
    change_text,
    direction,
    improvement,
    value_text,
)
from ioc.kit.i18n import format_number

FONT_DIR = Path(__file__).resolve().parents[1] / "web" / "static" / "vendor" / "fonts"
FAMILY, FALLBACK = "bvp", "bvp-vi"
WEIGHTS = {"": 400, "B": 700}
INK = (22, 32, 44)
MUTED = (79, 91, 105)
RULE = (213, 219, 226)
PRIMARY = (29, 100, 173)
HEAD_FILL = (223, 236, 249)
STRIPE = (246, 248, 250)
SERIES = ((0, 114, 178), (0, 158, 115), (213, 94, 0))  # colour-blind-safe (ioc.css --cb-*)
MARGIN = 16.0


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 5:
            return float(step * 5)
    return float(value * 1.2)


def _chart_frame(
    pdf: FPDF, title: str, top_value: float, locale: str, suffix: str = ""
) -> tuple[float, float, float, float]:
    """Title, axes and grid; returns the plot area (x, y, w, h)."""
    pdf.set_font(FAMILY, "B", 9)
    pdf.cell(0, 5, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    x, y, w, h = MARGIN + 12, pdf.get_y() + 3, pdf.epw - 14, 42.0
    pdf.set_font(FAMILY, "", 6.5)
    pdf.set_text_color(*MUTED)
    for i in range(6):
        gy = y + h - h * i / 5
        pdf.set_draw_color(*RULE)
        pdf.set_line_width(0.15)
        pdf.line(x, gy, x + w, gy)
        pdf.set_xy(MARGIN, gy - 2)
        pdf.cell(11, 4, format_number(top_value * i / 5, locale) + suffix, align="R")
    pdf.set_text_color(*INK)
    return x, y, w, h


def _x_labels(pdf: FPDF, labels: Sequence[str], x: float, y: float, slot: float) -> None:
    pdf.set_font(FAMILY, "", 6.5)
    pdf.set_text_color(*MUTED)
    for i, label in enumerate(labels):
        pdf.set_xy(x + i * slot, y + 1)
        pdf.cell(slot, 3.5, label, align="C")
    pdf.set_text_color(*INK)


def _legend(pdf: FPDF, names: Sequence[str], x: float, y: float) -> None:
    pdf.set_font(FAMILY, "", 7)
    for i, name in enumerate(names):
        pdf.set_fill_color(*SERIES[i % len(SERIES)])
        pdf.rect(x, y + 1, 3, 3, style="F")
        pdf.set_xy(x + 4, y)
        pdf.cell(pdf.get_string_width(name) + 2, 5, name)
        x += pdf.get_string_width(name) + 10


def bar_chart(
    pdf: FPDF,
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    locale: str,
) -> None:
    top = _nice_max(max((v for _n, values in series for v in values), default=0))
    x, y, w, h = _chart_frame(pdf, title, top, locale)
    slot = w / max(len(labels), 1)
    bar = slot * 0.7 / len(series)
    for s, (_name, values) in enumerate(series):
        pdf.set_fill_color(*SERIES[s % len(SERIES)])
        for i, value in enumerate(values):
            bh = h * value / top
            if bh > 0:
                pdf.rect(x + i * slot + slot * 0.15 + s * bar, y + h - bh, bar, bh, style="F")
    pdf.set_draw_color(*MUTED)
    pdf.line(x, y + h, x + w, y + h)
    _x_labels(pdf, labels, x, y + h, slot)
    _legend(pdf, [name for name, _v in series], x, y + h + 5)
    pdf.set_y(y + h + 11)


def line_chart(
    pdf: FPDF,
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    locale: str,
    target_label: str,
) -> None:
    x, y, w, h = _chart_frame(pdf, title, 100.0, locale)
    slot = w / max(len(labels), 1)
    points = [
        (x + i * slot + slot / 2, y + h - h * v / 100)
        for i, v in enumerate(values)
        if v is not None
    ]
    # The 90 % target as a dashed line.
    pdf.set_draw_color(*SERIES[2])
    pdf.set_line_width(0.3)
    pdf.set_dash_pattern(dash=1.2, gap=1)
    pdf.line(x, y + h * 0.1, x + w, y + h * 0.1)
    pdf.set_dash_pattern()
    pdf.set_draw_color(*SERIES[0])
    pdf.set_line_width(0.6)
    if len(points) > 1:
        pdf.polyline(points)
    pdf.set_fill_color(*SERIES[0])
    for px, py in points:
        pdf.circle(px, py, 0.9, style="F")
    pdf.set_line_width(0.2)
    pdf.set_draw_color(*MUTED)
    pdf.line(x, y + h, x + w, y + h)
    _x_labels(pdf, labels, x, y + h, slot)
    _legend(pdf, [title.split(",")[0]], x, y + h + 5)
    pdf.set_font(FAMILY, "", 7)
    pdf.set_draw_color(*SERIES[2])
    pdf.set_dash_pattern(dash=1.2, gap=1)
    lx = x + pdf.get_string_width(title.split(",")[0]) + 14
    pdf.line(lx, y + h + 7.5, lx + 6, y + h + 7.5)
    pdf.set_dash_pattern()
    pdf.set_xy(lx + 7, y + h + 5)
    pdf.cell(30, 5, target_label)
    pdf.set_y(y + h + 11)


def tile(
    pdf: FPDF,
    figure: Figure,
    x: float,
    y: float,
    w: float,
    h: float,
    locale: str,
    _: Callable[..., str],
) -> None:
    colour = BAND_COLOURS[figure.band]
    pdf.set_draw_color(*RULE)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, w, h, style="DF")
    pdf.set_fill_color(*colour)
    pdf.rect(x, y, 1.6, h, style="F")
    pdf.set_xy(x + 4, y + 2.5)
    pdf.set_font(FAMILY, "", 8.5)
    pdf.set_text_color(*MUTED)
    pdf.cell(w - 6, 4.5, _(figure.label))
    pdf.set_xy(x + 4, y + 8)
    pdf.set_font(FAMILY, "B", 18)
    pdf.set_text_color(*INK)
    pdf.cell(w - 6, 9, value_text(figure.value, figure.kind, locale))
    if figure.band != "none":
        band_pill(pdf, figure.band, x + 4, y + 18.5, _)
    change = change_text(figure, locale, _)
    if change:
        d, good = direction(figure), improvement(figure)
        tone = MUTED if good is None else (SERIES[1] if good else SERIES[2])
        ax, ay = x + 4, y + 25.2
        pdf.set_fill_color(*tone)
        if d == "up":
            pdf.polygon([(ax, ay + 1.2), (ax + 2.4, ay + 1.2), (ax + 1.2, ay - 1)], style="F")
        elif d == "down":
            pdf.polygon([(ax, ay - 1), (ax + 2.4, ay - 1), (ax + 1.2, ay + 1.2)], style="F")
        else:
            pdf.rect(ax, ay - 0.3, 2.4, 0.6, style="F")
        pdf.set_xy(ax + 3.4, ay - 2)
        pdf.set_font(FAMILY, "", 7.5)
        pdf.set_text_color(*MUTED)
        pdf.cell(w - 10, 4, change)
    pdf.set_text_color(*INK)


def band_pill(pdf: FPDF, band: str, x: float, y: float, _: Callable[..., str]) -> None:
    text = _(BAND_LABELS[band])
    pdf.set_font(FAMILY, "B", 7)
    width = pdf.get_string_width(text) + 4
    pdf.set_fill_color(*BAND_COLOURS[band])
    pdf.set_text_color(255, 255, 255) if band != "warning" else pdf.set_text_color(*INK)
    pdf.set_xy(x, y)
    pdf.cell(width, 4.2, text, align="C", fill=True)
    pdf.set_text_color(*INK)
