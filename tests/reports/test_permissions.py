"""Who may act on a report and who sees what of it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.errors import NotAuthenticated, NotFound, PermissionDenied
from ioc.kit.audit import AuditEntry
from ioc.kit.permissions import ANONYMOUS
from ioc.reports import service as reports
from ioc.reports.models import Report
from ioc.reports.schemas import ReportPublic, ReportStaff
from tests.reports.conftest import add_rule, agency, communes, make_category, make_report, person

IDENTITY = {"reporter_name", "reporter_phone", "reporter_email", "reporter_user_id"}


@pytest.fixture()
def setting(seeded: Session) -> dict[str, object]:
    """A report in commune A, held by commune A's committee; officers of A and of B."""
    category = make_category(seeded)
    add_rule(seeded, category, "commune")
    area_a, area_b = communes(seeded, 2)
    citizen = person(seeded, "citizen")
    report = make_report(
        seeded,
        category,
        actor=citizen,
        area=area_a,
        reporter_name="Nguyễn Văn Báo",
        reporter_phone="0987654321",
    )
    return {
        "report": report,
        "citizen": citizen,
        "officer_a": person(seeded, "officer", f"UBND-{area_a.code}"),
        "officer_b": person(seeded, "officer", f"UBND-{area_b.code}"),
        "agency_b": agency(seeded, f"UBND-{area_b.code}"),
    }


def test_an_officer_of_another_agency_cannot_act(seeded: Session, setting: dict) -> None:
    report, officer_b = setting["report"], setting["officer_b"]
    for act in (
        lambda: reports.accept(seeded, officer_b, report),
        lambda: reports.reject(seeded, officer_b, report, reason="no"),
        lambda: reports.add_note(seeded, officer_b, report, text="peek"),
        lambda: reports.transfer(
            seeded, officer_b, report, to_agency=setting["agency_b"], reason="mine"
        ),
    ):
        with pytest.raises(PermissionDenied):
            act()
    assert report.status == "submitted"
    reports.accept(seeded, setting["officer_a"], report)
    assert report.status == "accepted"


def test_internal_notes_only_for_staff_of_that_report(seeded: Session, setting: dict) -> None:
    report, officer_a = setting["report"], setting["officer_a"]
    reports.accept(seeded, officer_a, report)
    reports.add_note(seeded, officer_a, report, text="Caller is the neighbour's son")
    reports.resolve(seeded, officer_a, report, answer="Hole filled")

    def notes(entries: list) -> list[str | None]:
        return [e.internal_note for e in entries if e.internal_note]

    own = reports.timeline(seeded, officer_a, report)
    assert notes(own) == ["Caller is the neighbour's son"]
    leader = person(seeded, "leader")
    assert notes(reports.timeline(seeded, leader, report)) == ["Caller is the neighbour's son"]
    for outsider in (setting["officer_b"], setting["citizen"], ANONYMOUS):
        entries = reports.timeline(seeded, outsider, report)
        assert [e.kind for e in entries] == ["status", "status", "answer"]
        assert all(e.internal_note is None and e.actor_id is None for e in entries)
        assert entries[-1].public_text == "Hole filled"
    with pytest.raises(PermissionDenied):
        reports.staff_view(seeded, setting["officer_b"], report)
    assert isinstance(reports.staff_view(seeded, officer_a, report), ReportStaff)


def test_the_public_never_sees_the_reporter(seeded: Session, setting: dict) -> None:
    report = setting["report"]
    assert not IDENTITY & set(ReportPublic.model_fields)
    assert not IDENTITY & set(ReportStaff.model_fields)
    shown = reports.public_view(seeded, report).model_dump_json()
    assert "0987654321" not in shown and "Báo" not in shown
    staff = reports.staff_view(seeded, setting["officer_a"], report).model_dump_json()
    assert "0987654321" not in staff
    with pytest.raises(PermissionDenied):
        reports.reporter_view(seeded, setting["citizen"], report)
    with pytest.raises(PermissionDenied):
        reports.reporter_view(seeded, person(seeded, "leader"), report)
    with pytest.raises(NotAuthenticated):
        reports.reporter_view(seeded, ANONYMOUS, report)


def test_every_view_of_the_reporter_is_audited(seeded: Session, setting: dict) -> None:
    report, officer_a = setting["report"], setting["officer_a"]

    def views() -> int:
        return (
            seeded.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(
                    AuditEntry.action == "personal_data.view", AuditEntry.subject_id == report.code
                )
            )
            or 0
        )

    assert views() == 0
    who = reports.reporter_view(seeded, officer_a, report)
    assert (who.name, who.phone) == ("Nguyễn Văn Báo", "0987654321")
    reports.reporter_view(seeded, officer_a, report)
    seeded.flush()
    assert views() == 2
    entry = seeded.scalars(select(AuditEntry).where(AuditEntry.subject_id == report.code)).first()
    assert entry is not None and entry.actor_id == officer_a.user_id
    with pytest.raises(PermissionDenied):
        reports.reporter_view(seeded, setting["officer_b"], report)


def test_only_the_reporter_reopens_and_rates(seeded: Session, setting: dict) -> None:
    report, officer_a, citizen = setting["report"], setting["officer_a"], setting["citizen"]
    reports.accept(seeded, officer_a, report)
    reports.resolve(seeded, officer_a, report, answer="Done")
    stranger = person(seeded, "citizen")
    with pytest.raises(PermissionDenied):
        reports.rate(seeded, stranger, report, rating=1)
    with pytest.raises(PermissionDenied):
        reports.reopen(seeded, stranger, report, reason="no")
    with pytest.raises(NotAuthenticated):
        reports.rate(seeded, ANONYMOUS, report, rating=1)
    reports.rate(seeded, citizen, report, rating=2, comment="Slow")
    assert report.status == "resolved"  # a low rating is not a reopen
    reports.reopen(seeded, citizen, report, reason="Still a hole")
    assert report.status == "reopened" and report.reopen_count == 1
    assert report.resolved_at is None and report.resolve_due_at is not None


def test_a_hidden_report_is_gone_for_the_public_not_for_staff(
    seeded: Session, setting: dict
) -> None:
    report = setting["report"]
    with pytest.raises(PermissionDenied):
        reports.hide(seeded, setting["officer_a"], report, reason="abuse")
    reports.hide(seeded, person(seeded, "operator"), report, reason="Abusive words")
    with pytest.raises(NotFound):
        reports.public_view(seeded, report)
    with pytest.raises(NotFound):
        reports.timeline(seeded, ANONYMOUS, report)
    assert reports.staff_view(seeded, setting["officer_a"], report).is_hidden


def test_the_inbox_is_the_agencys_own(seeded: Session, setting: dict) -> None:
    report, officer_a = setting["report"], setting["officer_a"]
    own = agency(seeded, report_agency_code(seeded, report))
    page = reports.list_for_agency(seeded, officer_a, own, bucket="new")
    assert [r.code for r in page.items] == [report.code] and page.total == 1
    with pytest.raises(PermissionDenied):
        reports.list_for_agency(seeded, setting["officer_b"], own)
    assert reports.list_for_agency(seeded, setting["officer_b"], setting["agency_b"]).total == 0


def report_agency_code(session: Session, report: Report) -> str:
    return reports.target_of(session, report).agency_code or ""
