"""Importing indicator values from a CSV or Excel file: read, check every row, show a preview
with a per-row error report, and save only when every row is valid (all or nothing).

Re-importing the same file changes nothing (upsert by indicator × area × period).

Columns (first row; English or Vietnamese names, accents and case ignored): ``indicator``
(mã chỉ tiêu), ``area`` (mã địa bàn: a commune's code or name, the province's code, or empty
for the province), ``period`` (kỳ: 2026-03, 03/2026, 2026-Q1, 2026, 2026-03-15), ``value``
(giá trị; a decimal comma is understood), and optionally ``status`` (trạng thái: provisional /
final, tạm tính / chính thức) and ``note`` (ghi chú)."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.areas.models import Area
from ioc.errors import ValidationFailed
from ioc.indicators import bands
from ioc.indicators.models import Indicator, Observation
from ioc.indicators.service import (
    NOTE_MAX,
    ObservationInput,
    StoreResult,
    check_value,
    province_code,
    store,
)
from ioc.kit import audit, events
from ioc.kit.permissions import Actor, can, require
from ioc.kit.text import fold, nfc

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
COLUMNS = {
    "indicator": ("indicator", "code", "ma_chi_tieu", "chi_tieu", "ma"),
    "area": ("area", "area_code", "ma_dia_ban", "dia_ban", "ma_xa", "xa_phuong"),
    "period": ("period", "ky", "ky_bao_cao", "thoi_ky"),
    "value": ("value", "gia_tri", "so_lieu"),
    "status": ("status", "trang_thai"),
    "note": ("note", "ghi_chu"),
}
REQUIRED = ("indicator", "period", "value")
STATUS_WORDS = {
    "": "provisional",
    "provisional": "provisional",
    "tam tinh": "provisional",
    "so bo": "provisional",
    "final": "final",
    "chinh thuc": "final",
}


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it (the header is row 1)
    column: str
    message: str  # message id, translated when shown
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class PreviewRow:
    row: int
    indicator: Indicator
    area_code: str
    area_name: str
    period_start: date
    value: float
    status: str
    note: str
    previous: float | None  # the value stored now, if any


@dataclass
class Preview:
    filename: str
    rows: list[PreviewRow]
    errors: list[RowError]
    total: int

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    @property
    def new(self) -> int:
        return sum(1 for r in self.rows if r.previous is None)

    @property
    def changed(self) -> int:
        return sum(1 for r in self.rows if r.previous is not None and r.previous != r.value)


def read_table(filename: str, data: bytes) -> list[tuple[int, list[Any]]]:
    """The rows of the file's first sheet, numbered as the spreadsheet numbers them."""
    if len(data) > MAX_BYTES:
        raise ValidationFailed("The file is larger than {mb} MB.", field="file", mb=5)
    if not data:
        raise ValidationFailed("Choose a CSV or Excel file.", field="file")
    name = filename.lower()
    if name.endswith(".xlsx"):
        return _read_xlsx(data)
    if name.endswith((".csv", ".txt")):
        return _read_csv(data)
    raise ValidationFailed("Upload a .csv or .xlsx file.", field="file")


def _read_csv(data: bytes) -> list[tuple[int, list[Any]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(
            "The file is not UTF-8 text: save it as CSV UTF-8.", field="file"
        ) from None
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    return [(n, row) for n, row in enumerate(reader, 1)]


def _read_xlsx(data: bytes) -> list[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken file
        raise ValidationFailed("The Excel file cannot be read.", field="file") from None
    try:
        sheet = book.worksheets[0]
        return [(n, list(row)) for n, row in enumerate(sheet.iter_rows(values_only=True), 1)]
    finally:
        book.close()


def _header_map(header: list[Any]) -> dict[str, int]:
    names = {alias: key for key, aliases in COLUMNS.items() for alias in aliases}
    found: dict[str, int] = {}
    for i, cell in enumerate(header):
        key = names.get(fold(str(cell or "")).strip().replace(" ", "_"))
        if key and key not in found:
            found[key] = i
    return found


def parse_number(cell: Any) -> float | None:
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int | float):
        return float(cell)
    text = str(cell or "").strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    if "," in text and "." in text:
        # 1.234,5 (Vietnamese) or 1,234.5 (English): the last separator is the decimal one.
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _period(indicator: Indicator, cell: Any) -> date | None:
    if isinstance(cell, datetime):
        return bands.period_start(indicator.frequency, cell.date())
    if isinstance(cell, date):
        return bands.period_start(indicator.frequency, cell)
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        cell = str(int(cell))
    return bands.parse_period(indicator.frequency, str(cell or ""))


def preview(session: Session, actor: Actor, filename: str, data: bytes) -> Preview:
    """Read and check every row; nothing is written."""
    require(actor, "indicators.enter")
    table = read_table(filename, data)
    errors: list[RowError] = []
    if not table or not any(str(c or "").strip() for c in table[0][1]):
        raise ValidationFailed("The file is empty.", field="file")
    header = _header_map(table[0][1])
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValidationFailed(
            "The first row must name the columns; missing: {columns}.",
            field="file",
            columns=", ".join(missing),
        )
    body = [(n, r) for n, r in table[1:] if any(str(c or "").strip() for c in r)]
    if len(body) > MAX_ROWS:
        raise ValidationFailed("At most {n} rows per file.", field="file", n=MAX_ROWS)
    indicators = {i.code: i for i in session.scalars(select(Indicator))}
    province = province_code(session)
    areas = {a.code: a for a in session.scalars(select(Area))}
    by_name = {fold(a.name): a for a in areas.values()}
    by_name.update({fold(a.name.split(" ", 1)[-1]): a for a in areas.values() if a.parent_code})
    rows: list[PreviewRow] = []
    seen: dict[tuple[int, str, date], int] = {}

    def cell(row: list[Any], key: str) -> Any:
        i = header.get(key)
        return row[i] if i is not None and i < len(row) else None

    for n, raw in body:
        before = len(errors)
        code = str(cell(raw, "indicator") or "").strip()
        indicator = indicators.get(code)
        if not code:
            errors.append(RowError(n, "indicator", "Enter the indicator's code."))
        elif indicator is None or indicator.kind != "indicator":
            errors.append(
                RowError(n, "indicator", "No indicator has the code {code}.", {"code": code})
            )
        elif indicator.source == "computed":
            errors.append(
                RowError(
                    n,
                    "indicator",
                    "{code} is computed from the records and cannot be imported.",
                    {"code": code},
                )
            )
        elif not can(actor, "indicators.enter", indicator):
            errors.append(
                RowError(n, "indicator", "You may not enter values for {code}.", {"code": code})
            )
        area_text = nfc(str(cell(raw, "area") or "").strip())
        if isinstance(cell(raw, "area"), int | float):
            area_text = f"{int(cell(raw, 'area')):05d}"
        area = areas.get(area_text) if area_text else areas.get(province)
        if area is None and area_text:
            area = areas.get(area_text.zfill(5)) or by_name.get(fold(area_text))
        if area is None:
            errors.append(
                RowError(
                    n, "area", "No commune, ward or province is named {area}.", {"area": area_text}
                )
            )
        elif indicator is not None and indicator.area_level == "province" and area.code != province:
            errors.append(
                RowError(n, "area", "This indicator is measured for the whole province only.")
            )
        period = None
        if indicator is not None:
            period = _period(indicator, cell(raw, "period"))
            if period is None:
                errors.append(
                    RowError(
                        n,
                        "period",
                        "The period {period} is not understood: write it like {example}.",
                        {
                            "period": str(cell(raw, "period") or ""),
                            "example": bands.period_key(indicator.frequency, date(2026, 3, 1)),
                        },
                    )
                )
        value = parse_number(cell(raw, "value"))
        if value is None:
            errors.append(RowError(n, "value", "Enter a number."))
        elif indicator is not None:
            try:
                check_value(indicator, value)
            except ValidationFailed as error:
                first = error.errors[0]
                errors.append(RowError(n, "value", first.message, first.params))
        status = STATUS_WORDS.get(fold(str(cell(raw, "status") or "")).strip())
        if status is None:
            errors.append(RowError(n, "status", "Write provisional or final."))
        note = nfc(str(cell(raw, "note") or "").strip())
        if len(note) > NOTE_MAX:
            errors.append(RowError(n, "note", "At most {n} characters.", {"n": NOTE_MAX}))
        if len(errors) > before or indicator is None or area is None or period is None:
            continue
        assert value is not None and status is not None
        key = (indicator.id, area.code, period)
        if key in seen:
            errors.append(
                RowError(
                    n,
                    "period",
                    "The same indicator, area and period are already on row {other}.",
                    {"other": seen[key]},
                )
            )
            continue
        seen[key] = n
        rows.append(
            PreviewRow(n, indicator, area.code, area.name, period, value, status, note, None)
        )
    _fill_previous(session, rows)
    return Preview(filename, rows, errors, len(body))


def _fill_previous(session: Session, rows: list[PreviewRow]) -> None:
    if not rows:
        return
    ids = {r.indicator.id for r in rows}
    periods = {r.period_start for r in rows}
    stored = {
        (o.indicator_id, o.area_code, o.period_start): o.value
        for o in session.execute(
            select(
                Observation.indicator_id,
                Observation.area_code,
                Observation.period_start,
                Observation.value,
            ).where(Observation.indicator_id.in_(ids), Observation.period_start.in_(periods))
        )
    }
    for r in rows:
        r.previous = stored.get((r.indicator.id, r.area_code, r.period_start))


def commit(
    session: Session, actor: Actor, result: Preview, *, ip: str | None = None
) -> StoreResult:
    """Save a preview with no errors: all rows or none."""
    require(actor, "indicators.enter")
    if result.errors:
        raise ValidationFailed(
            "The file has {n} errors: nothing was saved.", field="file", n=len(result.errors)
        )
    if not result.rows:
        raise ValidationFailed("The file has no rows to import.", field="file")
    stored = store(
        session,
        [
            ObservationInput(r.indicator, r.area_code, r.period_start, r.value, r.status, r.note)
            for r in result.rows
        ],
        source="import",
        actor=actor,
    )
    detail = {
        "file": result.filename[:200],
        "rows": len(result.rows),
        "created": stored.created,
        "updated": stored.updated,
        "unchanged": stored.unchanged,
    }
    audit.log(
        session,
        "indicator.import",
        actor_id=actor.user_id,
        actor_label=actor.display_name,
        subject_type="indicator_import",
        subject_id=result.filename[:100],
        ip=ip,
        detail=detail,
    )
    events.record(
        session,
        "indicator.imported",
        subject_type="indicator_import",
        subject_id=result.filename[:100],
        actor_id=actor.user_id,
        title=f"Nhập {len(result.rows)} số liệu chỉ số từ {result.filename[:80]}",
        payload=detail,
    )
    return stored


def template_csv(session: Session) -> str:
    """A sample file: the columns and one row per importable indicator for the province."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["indicator", "area", "period", "value", "status", "note"])
    province = province_code(session)
    today = date.today()
    for ind in session.scalars(
        select(Indicator)
        .where(Indicator.kind == "indicator", Indicator.source != "computed")
        .order_by(Indicator.sort_order)
    ):
        period = bands.period_key(ind.frequency, bands.period_start(ind.frequency, today))
        writer.writerow([ind.code, province, period, "", "provisional", ind.name_vi])
    return out.getvalue()
