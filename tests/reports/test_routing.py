"""Routing by category × commune, the triage queue, and finding the commune of a point."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.errors import PermissionDenied, ValidationFailed
from ioc.kit.events import Event
from ioc.reports import routing
from ioc.reports import service as reports
from ioc.reports.models import ReportAgencyRecord
from tests.reports.conftest import add_rule, agency, communes, make_category, make_report, person


def test_commune_rule_beats_province_rule(seeded: Session) -> None:
    category = make_category(seeded)
    area_a, area_b = communes(seeded, 2)
    add_rule(seeded, category, "SXD")
    add_rule(seeded, category, "commune", area_code=area_a.code)
    assert routing.route(seeded, category, area_a.code).code == f"UBND-{area_a.code}"  # type: ignore[union-attr]
    assert routing.route(seeded, category, area_b.code).code == "SXD"  # type: ignore[union-attr]


def test_commune_target_goes_to_the_peoples_committee_of_the_reports_commune(
    seeded: Session,
) -> None:
    category = make_category(seeded)
    add_rule(seeded, category, "commune")
    area_b = communes(seeded, 2)[1]
    report = make_report(seeded, category, area=area_b)
    assert report.agency_id == agency(seeded, f"UBND-{area_b.code}").id
    assert routing.route(seeded, category, None) is None
    records = seeded.scalars(
        select(ReportAgencyRecord).where(ReportAgencyRecord.report_id == report.id)
    ).all()
    assert [r.agency_id for r in records] == [report.agency_id]
    types = seeded.scalars(
        select(Event.type).where(Event.subject_id == report.code).order_by(Event.id)
    ).all()
    assert types == ["report.submitted", "report.routed"]


def test_missing_or_inactive_agency_goes_to_the_triage_queue(seeded: Session) -> None:
    missing = make_category(seeded)
    add_rule(seeded, missing, "NO-SUCH-AGENCY")
    inactive = make_category(seeded)
    add_rule(seeded, inactive, "SXD")
    agency(seeded, "SXD").is_active = False
    unruled = make_category(seeded)
    seeded.flush()
    operator = person(seeded, "operator")
    filed = [make_report(seeded, c) for c in (missing, inactive, unruled)]
    assert all(r.agency_id is None and r.status == "submitted" for r in filed)
    assert all(r.accept_due_at is None for r in filed)
    queue = reports.triage_queue(seeded, operator)
    assert [r.code for r in queue] == [r.code for r in filed]


def test_operator_routes_from_the_triage_queue(seeded: Session) -> None:
    category = make_category(seeded)
    operator = person(seeded, "operator")
    report = make_report(seeded, category)
    with pytest.raises(PermissionDenied):
        reports.triage_queue(seeded, person(seeded, "officer", "SXD"))
    reports.assign_agency(seeded, operator, report, agency=agency(seeded, "SXD"))
    assert report.agency_id == agency(seeded, "SXD").id
    assert report.accept_due_at is not None
    assert reports.triage_queue(seeded, operator) == []


def test_point_without_commune_is_placed_in_the_nearest_commune(seeded: Session) -> None:
    area_a, area_b = communes(seeded, 2)
    assert routing.resolve_area(seeded, area_b.lat, area_b.lon) == area_b.code  # type: ignore[arg-type]
    category = make_category(seeded)
    report = make_report(seeded, category, area=area_a, area_code=None)
    assert report.area_code == area_a.code


def test_point_outside_the_province_is_refused_naming_the_location(seeded: Session) -> None:
    with pytest.raises(ValidationFailed) as caught:
        routing.resolve_area(seeded, 21.0285, 105.8542)  # Hà Nội, Hoàn Kiếm
    assert [e.field for e in caught.value.errors] == ["location"]


def test_a_transfer_counts_in_both_agencies_books_and_moves_the_right_to_act(
    seeded: Session,
) -> None:
    category = make_category(seeded)
    add_rule(seeded, category, "commune")
    area_a, area_b = communes(seeded, 2)
    code_a, code_b = f"UBND-{area_a.code}", f"UBND-{area_b.code}"
    officer_a, officer_b = person(seeded, "officer", code_a), person(seeded, "officer", code_b)
    report = make_report(seeded, category, area=area_a)
    reports.accept(seeded, officer_a, report)
    with pytest.raises(ValidationFailed):
        reports.transfer(seeded, officer_a, report, to_agency=agency(seeded, code_a), reason="x")
    reports.transfer(
        seeded, officer_a, report, to_agency=agency(seeded, code_b), reason="Border road"
    )
    records = seeded.scalars(
        select(ReportAgencyRecord)
        .where(ReportAgencyRecord.report_id == report.id)
        .order_by(ReportAgencyRecord.id)
    ).all()
    assert [(r.agency_id, r.outcome) for r in records] == [
        (agency(seeded, code_a).id, "transferred"),
        (agency(seeded, code_b).id, ""),
    ]
    assert records[0].left_at is not None and records[1].left_at is None
    with pytest.raises(PermissionDenied):
        reports.accept(seeded, officer_a, report)
    reports.accept(seeded, officer_b, report)
    assert report.status == "accepted"
