"""The overview's tiles (the contract with the console): the headline indicators with band,
trend and drill-down, for the province, a commune or an agency, in a couple of queries."""

from __future__ import annotations

from datetime import date

from sqlalchemy import event
from sqlalchemy.orm import Session

from ioc.indicators import service
from ioc.indicators.overview import MAX_TILES, overview_tiles
from ioc.indicators.service import ObservationInput, store
from tests.indicators.conftest import PROVINCE

WARD = "05443"


def _months_back(n: int) -> date:
    today = date.today()
    month = today.month - 1 - n
    return date(today.year + month // 12, month % 12 + 1, 1)


def test_province_tiles_show_the_headline_indicators(seeded: Session) -> None:
    pm25 = service.get_indicator(seeded, "env.pm25")  # absolute: ≤ 25 good, ≤ 50 warning
    store(
        seeded,
        [
            ObservationInput(pm25, PROVINCE, _months_back(2), 30.0),
            ObservationInput(pm25, PROVINCE, _months_back(1), 24.0),
        ],
        source="import",
    )
    tiles = overview_tiles(seeded, area_code=None, agency_id=None, locale="vi")
    assert len(tiles) == MAX_TILES
    codes = [t.code for t in tiles]
    assert "env.pm25" in codes and "econ.grdp_growth" in codes and "reports.on_time" in codes
    tile = tiles[codes.index("env.pm25")]
    assert tile.value == 24.0 and tile.value_text == "24,0 µg/m³" and tile.band == "good"
    assert (tile.trend, tile.trend_good) == ("down", True)
    assert tile.href == f"/console/indicators/env.pm25?area={PROVINCE}"
    empty = tiles[codes.index("econ.grdp_growth")]
    assert empty.value is None and empty.value_text == "—" and empty.band == "none"
    english = overview_tiles(seeded, area_code=None, agency_id=None, locale="en")
    assert english[codes.index("env.pm25")].name == "Mean PM2.5 concentration"


def test_commune_tiles_leave_out_province_only_indicators(seeded: Session) -> None:
    tiles = overview_tiles(seeded, area_code=WARD, agency_id=None, locale="vi")
    codes = [t.code for t in tiles]
    assert "econ.grdp_growth" not in codes and "env.pm25" in codes
    on_time = tiles[codes.index("reports.on_time")]
    assert on_time.href == f"/console/reports/evaluation?period=30d&area={WARD}"


def test_area_tiles_take_two_queries(seeded: Session) -> None:
    statements: list[str] = []
    engine = seeded.get_bind()

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        overview_tiles(seeded, area_code=WARD, agency_id=None, locale="vi")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 2


def test_agency_tiles_come_from_the_agencys_reports(seeded: Session) -> None:
    from tests.reports.conftest import agency

    sxd = agency(seeded, "SXD")
    tiles = overview_tiles(seeded, area_code=None, agency_id=sxd.id, locale="vi")
    codes = [t.code for t in tiles]
    assert codes[:2] == ["reports.on_time", "reports.satisfaction_766"]
    backlog = tiles[codes.index("reports.backlog")]
    assert backlog.value == 0 and backlog.href == "/console/reports?agency=SXD&bucket=all"
    assert tiles[codes.index("reports.on_time")].value is None  # nothing received yet
    assert tiles[codes.index("reports.overdue")].href.endswith("bucket=overdue")
