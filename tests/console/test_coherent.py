"""One console: event titles in the reader's language, the late-agencies panel, the open-alert
badge on the menu, and the demo's recent history on the timeline."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.areas.models import Agency
from ioc.console.figures import late_agencies
from ioc.console.titles import event_title
from ioc.kit import events
from ioc.kit.events import Event, EventOut
from ioc.kit.i18n import translator
from ioc.modules import installed_modules
from ioc.reports.models import Report, ReportUpdate
from tests.conftest import make_user, sign_in
from tests.console.test_overview import NOW, TZ, world  # noqa: F401  (the fixture)

SAMPLE_PAYLOAD = {
    "agency": "SXD",
    "rating": 4,
    "name": "Tỷ lệ phản ánh được giải quyết đúng hạn",
    "old_band": "good",
    "new_band": "bad",
    "rule": "report_overdue",
    "alert_id": 7,
}


def _event(type_: str, title: str = "", payload: dict | None = None) -> EventOut:  # type: ignore[type-arg]
    return EventOut(
        id=1,
        type=type_,
        occurred_at=NOW,
        subject_type="x",
        subject_id="PA-2026-000123",
        title=title,
        payload=SAMPLE_PAYLOAD if payload is None else payload,
    )


def test_every_declared_event_type_reads_in_vietnamese() -> None:
    vi, en = translator("vi"), translator("en")
    declared = [t.name for m in installed_modules() for t in m.event_types]
    assert len(declared) > 30
    for type_ in declared:
        event = _event(type_, title="Some English title")
        title_vi, title_en = event_title(event, vi), event_title(event, en)
        assert title_vi and title_vi != title_en, type_
        assert "Some English title" not in title_vi or ":" in title_vi, type_
    report = _event("report.submitted", title="Report PA-2026-000123 filed")
    assert event_title(report, vi) == "Phản ánh PA-2026-000123 đã được gửi"
    assert event_title(_event("report.routed"), vi) == "Phản ánh PA-2026-000123 đã chuyển đến SXD"
    named = event_title(_event("report.routed"), vi, {"agency:SXD": "Sở Xây dựng"})
    assert named == "Phản ánh PA-2026-000123 đã chuyển đến Sở Xây dựng"
    band = _event("indicator.band_changed", title="Indicator REPORTS_ON_TIME moved into bad")
    assert event_title(band, vi) == "Tỷ lệ phản ánh được giải quyết đúng hạn: từ đạt sang không đạt"
    # An alert event names its alert when the console knows it, else what kind of alert it is.
    raised = _event("alert.raised")
    assert event_title(raised, vi, {"7": "Phản ánh PA-1 quá hạn"}) == (
        "Cảnh báo mới: Phản ánh PA-1 quá hạn"
    )
    assert event_title(raised, vi) == "Cảnh báo mới: phản ánh quá hạn"
    # A payload of another shape never breaks the feed.
    assert event_title(_event("indicator.band_changed", payload={}), vi)
    assert event_title(_event("unknown.type", title="kept"), vi) == "kept"


def test_late_agencies_rank_the_overdue(seeded: Session, world: dict[str, int]) -> None:  # noqa: F811
    rows = late_agencies(seeded, tz=TZ, now=NOW)
    by_id = {seeded.scalar(select(Agency.id).where(Agency.code == r.code)): r for r in rows}
    assert set(by_id) == {world["sxd"], world["other"]}
    sxd, other = by_id[world["sxd"]], by_id[world["other"]]
    assert (sxd.open, sxd.overdue) == (2, 1)
    assert (other.open, other.overdue) == (3, 1)  # the waiting one, paused after its deadline
    assert rows[0] is other  # same overdue count: the one with more open reports first
    assert (sxd.resolved_this_month, sxd.on_time_this_month, sxd.on_time_share) == (2, 1, 0.5)
    assert other.on_time_share is None  # its resolution was last month
    # A month earlier SXD's deadline had not passed: it is not listed (the waiting report's
    # clock stopped after its deadline, so that one stays overdue).
    earlier = late_agencies(seeded, tz=TZ, now=NOW - timedelta(days=30))
    assert [r.code for r in earlier] == [other.code]


def test_overview_shows_late_agencies_and_the_alert_badge(
    client: TestClient,
    seeded: Session,
    world: dict[str, int],  # noqa: F811
) -> None:
    from ioc.alerts import service as alerts

    alerts.raise_alert(
        seeded,
        rule="report_overdue",
        dedupe_key="test:badge",
        title="Report PA-FIG-0001 is overdue (resolve)",
        severity="critical",
        subject_type="report",
        subject_id="PA-FIG-0001",
        cause={"reports": {"PA-FIG-0001": {"stage": "resolve"}}},
    )
    seeded.commit()
    leader = make_user(seeded, "leader")
    sign_in(client, leader.email)  # type: ignore[attr-defined]
    # The panel is built at the real clock: the fixture's deadlines (November 2026) may be
    # ahead of it, so only its presence and structure are checked here.
    page = client.get("/console")
    assert page.status_code == 200
    assert "Cơ quan có phản ánh quá hạn" in page.text
    assert 'data-nav-badge="alerts"' in page.text and "1 cảnh báo đang mở" in page.text
    assert "sidebar__badge--bad" in page.text
    # The badge is on every console page, not only the overview.
    assert 'data-nav-badge="alerts"' in client.get("/console/events").text
    client.cookies.clear()
    officer = make_user(seeded, "officer", agency="SXD")
    sign_in(client, officer.email)  # type: ignore[attr-defined]
    page = client.get("/console")
    assert "Cơ quan có phản ánh quá hạn" not in page.text  # an agency's picture: its own work
    assert 'data-nav-badge="alerts"' not in page.text  # not assigned to SXD


def test_timeline_shows_titles_in_vietnamese(client: TestClient, seeded: Session) -> None:
    events.record(
        seeded,
        "report.submitted",
        subject_type="report",
        subject_id="PA-2026-000999",
        title="Report PA-2026-000999 filed",
    )
    events.record(
        seeded,
        "report.routed",
        subject_type="report",
        subject_id="PA-2026-000999",
        title="Report PA-2026-000999 routed to SXD",
        payload={"agency": "SXD"},
    )
    seeded.commit()
    operator = make_user(seeded, "operator")
    sign_in(client, operator.email)  # type: ignore[attr-defined]
    page = client.get("/console/events")
    assert "Phản ánh PA-2026-000999 đã được gửi" in page.text
    assert "filed" not in page.text
    assert "Phản ánh PA-2026-000999 đã chuyển đến Sở Xây dựng" in page.text
    assert 'href="/console/reports/PA-2026-000999"' in page.text
    overview = client.get("/console")
    assert "Phản ánh PA-2026-000999 đã được gửi" in overview.text
    client.get("/lang/en?next=/console/events")
    assert "Report PA-2026-000999 filed" in client.get("/console/events").text


def test_demo_history_of_the_last_days_is_on_the_timeline(
    seeded: Session,
    world: dict[str, int],  # noqa: F811
) -> None:
    from ioc.reports.demo_events import record_recent_demo_events

    now = NOW
    report = seeded.scalar(select(Report).where(Report.code == "PA-FIG-0003"))
    old = seeded.scalar(select(Report).where(Report.code == "PA-FIG-0008"))
    assert report is not None and old is not None
    report.is_demo = old.is_demo = True
    h = timedelta(hours=1)
    for r, at, kind, before, after, to_agency, role in (
        (report, now - 30 * h, "status", None, "submitted", None, "public"),
        (report, now - 29 * h, "transfer", "submitted", "submitted", world["sxd"], "operator"),
        (report, now - 20 * h, "status", "submitted", "accepted", None, "officer"),
        (report, now - 2 * h, "status", "accepted", "in_progress", None, "officer"),
        (report, now - 1 * h, "note", None, None, None, "officer"),  # no event for a note
        (old, now - 30 * 24 * h, "status", "in_progress", "resolved", None, "officer"),
    ):
        seeded.add(
            ReportUpdate(
                report_id=r.id,
                at=at,
                kind=kind,
                from_status=before,
                to_status=after,
                to_agency_id=to_agency,
                actor_role=role,
                agency_id=r.agency_id,
            )
        )
    seeded.flush()
    assert record_recent_demo_events(seeded, now=now) == 4
    rows = seeded.scalars(select(Event).order_by(Event.occurred_at)).all()
    assert [e.type for e in rows] == [
        "report.submitted",
        "report.routed",
        "report.accepted",
        "report.started",
    ]
    assert {e.subject_id for e in rows} == {"PA-FIG-0003"}
    assert rows[1].agency_id == world["sxd"] and rows[1].payload["agency"] == "SXD"
    # The severity and visibility the reports module declares for each type, as the service.
    from ioc.reports import EVENT_TYPES

    specs = {t.name: t for t in EVENT_TYPES}
    assert all(
        (e.severity, e.visibility) == (specs[e.type].severity, specs[e.type].visibility)
        for e in rows
    )
    assert rows[3].agency_id == report.agency_id
    # Already handled: history, not news (no notification or alert rule runs for it again).
    assert all(e.handled_at is not None for e in rows)
    # Idempotent.
    assert record_recent_demo_events(seeded, now=now) == 0
    assert seeded.scalar(select(func.count()).select_from(Event)) == 4
