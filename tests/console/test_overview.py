"""The overview's figures and pages: report counts worked out by hand on a handful of reports,
the cache that keeps them cheap, and the page and fragment each role gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.areas.models import Agency
from ioc.console.cache import TtlCache
from ioc.console.figures import report_figures
from ioc.console.scope import ConsoleScope
from ioc.kit import events
from ioc.reports.models import Category, Report, ReportAgencyRecord
from tests.conftest import make_user, sign_in

TZ = "Asia/Ho_Chi_Minh"
# 10:00 in Thái Nguyên on Wednesday 18 November 2026.
NOW = datetime(2026, 11, 18, 3, 0, tzinfo=UTC)
PROVINCE = ConsoleScope(None, frozenset({"public", "staff", "agency"}), True)


@pytest.fixture()
def world(seeded: Session) -> dict[str, int]:
    category = Category(code="test.fig", group="roads", name_vi="Ổ gà", name_en="Pothole")
    seeded.add(category)
    seeded.flush()
    sxd = seeded.scalar(select(Agency).where(Agency.code == "SXD"))
    other = seeded.scalar(select(Agency).where(Agency.code != "SXD").limit(1))
    assert sxd is not None and other is not None
    h = timedelta(hours=1)

    def add(n: int, agency: Agency, status: str, **kw: object) -> Report:
        report = Report(
            code=f"PA-FIG-{n:04d}",
            category_id=category.id,
            description="Thử",
            status=status,
            agency_id=agency.id,
            submitted_at=kw.pop("submitted_at", NOW - 48 * h),
            **kw,
        )
        seeded.add(report)
        seeded.flush()
        return report

    # Open: overdue (accepted, resolve deadline passed), due today (not yet accepted, accept
    # deadline at 15:00 local), on time, and waiting (clock stopped after its deadline: overdue).
    add(1, sxd, "accepted", accepted_at=NOW - 40 * h, resolve_due_at=NOW - 2 * h)
    add(2, sxd, "submitted", submitted_at=NOW - h, accept_due_at=NOW + 5 * h)
    add(3, other, "in_progress", accepted_at=NOW - 40 * h, resolve_due_at=NOW + 72 * h)
    add(
        4,
        other,
        "waiting",
        accepted_at=NOW - 40 * h,
        resolve_due_at=NOW - 5 * h,
        paused_at=NOW - 3 * h,
    )
    # Received today (after local midnight = 17:00 UTC the day before), and yesterday.
    add(5, other, "submitted", submitted_at=NOW - 2 * h, accept_due_at=NOW + 30 * h)
    # Resolved this month: one on time, one late; and one last month.
    for n, resolved, due, agency in (
        (6, NOW - 24 * h, NOW - 20 * h, sxd),
        (7, NOW - 24 * h, NOW - 30 * h, sxd),
        (8, NOW - 30 * 24 * h, NOW - 29 * 24 * h, other),
    ):
        r = add(
            n,
            agency,
            "resolved",
            resolved_at=resolved,
            resolve_due_at=due,
            accepted_at=resolved - 5 * h,
        )
        seeded.add(
            ReportAgencyRecord(
                report_id=r.id,
                agency_id=agency.id,
                received_at=resolved - 9 * h,
                resolved_at=resolved,
            )
        )
    seeded.commit()
    return {"sxd": sxd.id, "other": other.id}


def test_report_figures_for_the_province(seeded: Session, world: dict[str, int]) -> None:
    f = report_figures(seeded, PROVINCE, tz=TZ, now=NOW)
    assert (f.open, f.overdue, f.due_today, f.received_today) == (5, 2, 1, 2)
    assert (f.resolved_this_month, f.resolved_on_time_this_month) == (2, 1)
    assert f.on_time_share == 0.5


def test_report_figures_for_an_agency(seeded: Session, world: dict[str, int]) -> None:
    scope = ConsoleScope(frozenset({world["sxd"]}), PROVINCE.visibilities, True)
    f = report_figures(seeded, scope, tz=TZ, now=NOW)
    assert (f.open, f.overdue, f.due_today) == (2, 1, 1)
    assert (f.resolved_this_month, f.resolved_on_time_this_month) == (2, 1)


def test_cached_counts_change_with_the_next_event(seeded: Session, world: dict[str, int]) -> None:
    cache = TtlCache()
    assert report_figures(seeded, PROVINCE, tz=TZ, now=NOW, cache=cache).open == 5
    report = seeded.scalar(select(Report).where(Report.code == "PA-FIG-0003"))
    assert report is not None
    report.status = "resolved"
    seeded.flush()
    # No event yet: the cached figure stands (this is what the cache is for) …
    assert report_figures(seeded, PROVINCE, tz=TZ, now=NOW, cache=cache).open == 5
    # … and the event every service records with a change makes it fresh.
    events.record(seeded, "report.resolved", subject_type="report", subject_id="PA-FIG-0003")
    assert report_figures(seeded, PROVINCE, tz=TZ, now=NOW, cache=cache).open == 4


def test_overview_page_shows_each_role_its_picture(client: TestClient, seeded: Session) -> None:
    leader = make_user(seeded, "leader")
    sign_in(client, leader.email)  # type: ignore[attr-defined]
    page = client.get("/console")
    assert page.status_code == 200
    assert "Toàn tỉnh" in page.text and "data-console-overview" in page.text
    assert "/console/map/reports-heat.geojson" in page.text  # the module's layers are offered
    wall = client.get("/console?wall=1")
    assert 'data-theme="dark"' in wall.text and "is-wall" in wall.text
    fragment = client.get("/console/overview/tiles")
    assert 'id="ov-figures"' in fragment.text and 'hx-swap-oob="true"' in fragment.text
    assert "<html" not in fragment.text
    client.cookies.clear()
    officer = make_user(seeded, "officer", agency="SXD")
    sign_in(client, officer.email)  # type: ignore[attr-defined]
    page = client.get("/console")
    assert page.status_code == 200
    assert "Toàn tỉnh" not in page.text and "Sở Xây dựng" in page.text


def test_map_layers_follow_permissions(client: TestClient, seeded: Session) -> None:
    from ioc.console.overview import map_overlays
    from ioc.kit.i18n import translator
    from ioc.kit.permissions import Actor, Grant
    from ioc.modules import installed_modules

    mods = installed_modules()
    staff = Actor(user_id=1, grants=(Grant(role="operator"),), kind="user")
    codes = {o["code"]: o for o in map_overlays(mods, staff, translator("vi"))}
    assert codes["reports.heat"]["visible"] and codes["reports.by_age"]["visible"]
    assert codes["reports.open"]["visible"] is False  # the public layer, off by default
    assert codes["reports.heat"]["label"] == "Mật độ phản ánh đang mở (30 ngày qua)"
    citizen = Actor(user_id=2, grants=(Grant(role="citizen"),), kind="user")
    assert "reports.heat" not in {o["code"] for o in map_overlays(mods, citizen, translator("vi"))}
