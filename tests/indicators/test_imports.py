"""Importing values from CSV and Excel: every row checked, errors reported per row and column,
nothing saved unless all rows are valid; a valid file saved; re-importing changes nothing."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.errors import ValidationFailed
from ioc.indicators import imports
from ioc.indicators.models import Observation
from ioc.kit.i18n import translate
from tests.indicators.conftest import PROVINCE, person

WARD = "05443"  # Phường Phan Đình Phùng


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Observation)) or 0)


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


VALID_CSV = (
    "ma_chi_tieu;dia_ban;ky;gia_tri;trang_thai;ghi_chu\n"
    f"infra.water_supply;{WARD};2026-03;96,5;chính thức;Báo cáo của Sở Xây dựng\n"
    "infra.water_supply;Phường Quyết Thắng;03/2026;91;;\n"
    "econ.grdp_growth;;2026-Q1;7,85;final;\n"
    "soc.poverty;05443;2025;2,1;tạm tính;\n"
)


def test_a_valid_csv_is_previewed_then_saved(seeded: Session) -> None:
    operator = person(seeded, "operator")
    preview = imports.preview(seeded, operator, "so-lieu.csv", VALID_CSV.encode("utf-8"))
    assert preview.errors == [] and preview.ok and len(preview.rows) == 4
    assert _count(seeded) == 0  # a preview writes nothing
    first = preview.rows[0]
    assert (first.row, first.area_code, first.period_start, first.value, first.status) == (
        2,
        WARD,
        date(2026, 3, 1),
        96.5,
        "final",
    )
    assert preview.rows[1].area_code == "05455"  # found by its name
    assert preview.rows[2].area_code == PROVINCE and preview.rows[2].period_start == date(
        2026, 1, 1
    )
    result = imports.commit(seeded, operator, preview)
    # 4 rows, plus the province rolled up from the wards for water supply and poverty.
    assert result.created == 4 and result.rolled_up == 2 and _count(seeded) == 6
    stored = seeded.scalar(
        select(Observation).where(Observation.area_code == WARD, Observation.value == 96.5)
    )
    assert (
        stored is not None
        and stored.source == "import"
        and stored.note == "Báo cáo của Sở Xây dựng"
    )


def test_re_importing_the_same_file_changes_nothing(seeded: Session) -> None:
    operator = person(seeded, "operator")
    imports.commit(seeded, operator, imports.preview(seeded, operator, "a.csv", VALID_CSV.encode()))
    again = imports.preview(seeded, operator, "a.csv", VALID_CSV.encode())
    assert again.new == 0 and again.changed == 0
    result = imports.commit(seeded, operator, again)
    assert (result.created, result.updated, result.unchanged, result.rolled_up) == (0, 0, 4, 0)
    assert _count(seeded) == 6


BAD_CSV = (
    "indicator,area,period,value,status,note\n"
    "infra.water_supply,05443,2026-03,96.5,final,\n"  # row 2: fine
    "no.such,05443,2026-03,1,,\n"  # row 3: unknown indicator
    "infra.water_supply,99999,2026-03,90,,\n"  # row 4: unknown area
    "infra.water_supply,05443,2026-13,90,,\n"  # row 5: no such month
    "infra.water_supply,05455,2026-03,120,,\n"  # row 6: above 100 %
    "econ.grdp_growth,05443,2026-Q1,7,,\n"  # row 7: a province-only indicator for a ward
    "reports.on_time,,2026-03,80,,\n"  # row 8: computed, cannot be imported
    "infra.water_supply,05443,2026-03,97,,\n"  # row 9: same key as row 2
    "infra.water_supply,05443,2026-04,abc,maybe,\n"  # row 10: value and status
)


def test_csv_errors_are_reported_per_row_and_nothing_is_saved(seeded: Session) -> None:
    operator = person(seeded, "operator")
    preview = imports.preview(seeded, operator, "loi.csv", BAD_CSV.encode())
    found = {(e.row, e.column) for e in preview.errors}
    assert found == {
        (3, "indicator"),
        (4, "area"),
        (5, "period"),
        (6, "value"),
        (7, "area"),
        (8, "indicator"),
        (9, "period"),
        (10, "value"),
        (10, "status"),
    }
    assert not preview.ok
    with pytest.raises(ValidationFailed):
        imports.commit(seeded, operator, preview)
    assert _count(seeded) == 0
    messages = {(e.row, e.column): translate("vi", e.message, **e.params) for e in preview.errors}
    assert messages[(3, "indicator")] == "Không có chỉ số nào có mã no.such."
    assert messages[(6, "value")] == "Giá trị không được lớn hơn 100."
    assert messages[(9, "period")] == "Chỉ số, địa bàn và kỳ này đã có ở dòng 2."


def test_excel_errors_are_reported_per_row_and_a_valid_sheet_is_saved(seeded: Session) -> None:
    operator = person(seeded, "operator")
    header = ["Mã chỉ tiêu", "Địa bàn", "Kỳ", "Giá trị"]
    bad = _xlsx([header, ["env.pm25", WARD, "2026-03", 28.4], ["env.pm25", WARD, "2026-04", -3]])
    preview = imports.preview(seeded, operator, "pm25.xlsx", bad)
    assert [(e.row, e.column) for e in preview.errors] == [(3, "value")]
    assert _count(seeded) == 0
    good = _xlsx(
        [header, ["env.pm25", WARD, "2026-03", 28.4], ["env.pm25", int(WARD), date(2026, 4, 9), 31]]
    )
    preview = imports.preview(seeded, operator, "pm25.xlsx", good)
    assert preview.errors == []
    assert [r.period_start for r in preview.rows] == [date(2026, 3, 1), date(2026, 4, 1)]
    imports.commit(seeded, operator, preview)
    assert _count(seeded) == 4  # two ward values and two province roll-ups


def test_an_agency_head_imports_only_their_agencys_indicators(seeded: Session) -> None:
    head = person(seeded, "agency_head", "SXD")  # water supply is SXD's, poverty is SNV's
    preview = imports.preview(seeded, head, "a.csv", VALID_CSV.encode())
    assert {(e.row, e.column) for e in preview.errors} == {(4, "indicator"), (5, "indicator")}


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.pdf", b"%PDF", "Upload a .csv or .xlsx file."),
        ("a.csv", b"", "Choose a CSV or Excel file."),
        (
            "a.csv",
            b"value,period\n1,2026",
            "The first row must name the columns; missing: {columns}.",
        ),
        ("a.xlsx", b"not a zip", "The Excel file cannot be read."),
        (
            "a.csv",
            "indicator,period,value\nx,2026,1".encode("utf-16"),
            "The file is not UTF-8 text: save it as CSV UTF-8.",
        ),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(
    seeded: Session, name: str, data: bytes, message: str
) -> None:
    with pytest.raises(ValidationFailed) as error:
        imports.preview(seeded, person(seeded, "operator"), name, data)
    assert error.value.errors[0].message == message and error.value.errors[0].field == "file"


def test_numbers_in_vietnamese_and_english_forms() -> None:
    assert imports.parse_number("1.234,5") == 1234.5
    assert imports.parse_number("1,234.5") == 1234.5
    assert imports.parse_number("96,5") == 96.5
    assert imports.parse_number(" 7 ") == 7.0
    assert imports.parse_number("nan") is None
    assert imports.parse_number("") is None
