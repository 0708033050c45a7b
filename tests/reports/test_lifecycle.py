"""The report state machine: the table itself, and random walks through the real service that
must never take a transition the issue does not allow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.db import utcnow
from ioc.errors import Conflict
from ioc.reports import jobs
from ioc.reports import lifecycle as lc
from ioc.reports import service as reports
from ioc.reports.models import Report, ReportUpdate
from tests.reports.conftest import add_rule, agency, communes, make_category, make_report, person

OPEN = {"submitted", "accepted", "in_progress", "waiting", "reopened"}
# The issue's lifecycle, written out independently of lifecycle.TRANSITIONS: the oracle.
# action -> (statuses it may start from, status it leads to; None = back to before the pause)
EXPECTED: dict[str, tuple[set[str], str | None]] = {
    "assign_agency": ({"submitted"}, "submitted"),
    "accept": ({"submitted"}, "accepted"),
    "start": ({"accepted", "reopened"}, "in_progress"),
    "request_info": ({"submitted", "accepted", "in_progress", "reopened"}, "waiting"),
    "provide_info": ({"waiting"}, None),
    "resolve": ({"accepted", "in_progress", "reopened"}, "resolved"),
    "close_unfixed": (OPEN, "closed_unfixed"),
    "reject": (OPEN, "rejected"),
    "mark_duplicate": (OPEN, "duplicate"),
    "transfer": ({"submitted", "accepted", "in_progress", "reopened"}, "submitted"),
    "reopen": ({"resolved"}, "reopened"),
    "close": ({"resolved"}, "closed"),
}
TERMINAL = {"closed", "closed_unfixed", "rejected", "duplicate"}


# --- the table -----------------------------------------------------------------------------


def test_transition_table_matches_the_issue() -> None:
    assert set(lc.TRANSITIONS) == set(EXPECTED)
    for action, (sources, target) in EXPECTED.items():
        for status in lc.STATUSES:
            assert lc.can(action, status) == (status in sources), (action, status)
        assert lc.TRANSITIONS[action].target == (target or lc.PREVIOUS)


def test_terminal_states_allow_no_transition() -> None:
    assert lc.TERMINAL == TERMINAL
    for status in TERMINAL:
        for action in lc.TRANSITIONS:
            with pytest.raises(Conflict):
                lc.next_status(action, status, previous="accepted")


def test_an_illegal_action_is_a_conflict_naming_action_and_status() -> None:
    with pytest.raises(Conflict) as caught:
        lc.next_status("resolve", "submitted")
    assert caught.value.message == "This cannot be done to the report at this stage."
    assert caught.value.params == {"action": "resolve", "status": "submitted"}
    assert [e.field for e in caught.value.errors] == ["status"]


def test_provide_info_returns_to_the_interrupted_status_only() -> None:
    assert lc.next_status("provide_info", "waiting", previous="in_progress") == "in_progress"
    assert lc.next_status("provide_info", "waiting", previous="submitted") == "submitted"
    with pytest.raises(Conflict):
        lc.next_status("provide_info", "waiting", previous="resolved")
    with pytest.raises(Conflict):
        lc.next_status("provide_info", "waiting", previous=None)


def test_rating_only_after_an_answer() -> None:
    assert {s for s in lc.STATUSES if lc.can("rate", s)} == {"resolved", "closed"}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("submitted", "open"),
        ("accepted", "open"),
        ("in_progress", "open"),
        ("waiting", "open"),
        ("reopened", "open"),
        ("resolved", "closed"),
        ("closed", "closed"),
        ("closed_unfixed", "closed"),
        ("rejected", "closed"),
        ("duplicate", "closed"),
    ],
)
def test_open311_status(status: str, expected: str) -> None:
    assert lc.open311_status(status) == expected


# --- random walks through the service ------------------------------------------------------

ACTIONS = sorted([*EXPECTED, "rate"])


def test_no_illegal_transition_is_reachable_through_the_service(seeded: Session) -> None:
    session = seeded
    category = make_category(session)
    area_a, area_b = communes(session, 2)
    add_rule(session, category, "commune")
    agencies = [agency(session, f"UBND-{area_a.code}"), agency(session, f"UBND-{area_b.code}")]
    operator = person(session, "operator")
    citizen = person(session, "citizen")
    original = make_report(session, category, actor=citizen, area=area_b)

    def status_in_db(report: Report) -> str:
        return session.execute(select(Report.status).where(Report.id == report.id)).scalar_one()

    def status_changes(report: Report) -> int:
        return session.execute(
            select(func.count())
            .select_from(ReportUpdate)
            .where(ReportUpdate.report_id == report.id, ReportUpdate.to_status.is_not(None))
        ).scalar_one()

    class ReportWalk(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.report = make_report(session, category, actor=citizen, area=area_a)
            self.before_pause: str | None = None
            self.changes = 1  # "submitted"
            self.was_terminal = False

        def other_agency(self) -> object:
            return next(a for a in agencies if a.id != self.report.agency_id)

        def perform(self, action: str) -> None:
            r, now = self.report, utcnow()
            if action == "assign_agency":
                reports.assign_agency(session, operator, r, agency=self.other_agency())
            elif action == "transfer":
                reports.transfer(session, operator, r, to_agency=self.other_agency(), reason="x")
            elif action == "request_info":
                reports.request_info(session, operator, r, question="Which house?")
            elif action == "provide_info":
                reports.provide_info(session, citizen, r, text="Number 12")
            elif action == "resolve":
                reports.resolve(session, operator, r, answer="Fixed")
            elif action in ("close_unfixed", "reject"):
                getattr(reports, action)(session, operator, r, reason="Not possible")
            elif action == "mark_duplicate":
                reports.mark_duplicate(session, operator, r, original=original)
            elif action == "reopen":
                reports.reopen(session, citizen, r, reason="Still broken")
            elif action == "rate":
                reports.rate(session, citizen, r, rating=4)
            elif action == "close":
                # The only way to "closed": the job, once the time to reopen has passed.
                jobs.auto_close(session, now=now + timedelta(days=8))
            else:
                getattr(reports, action)(session, operator, r)

        @rule(data=st.data())
        def act(self, data: st.DataObject) -> None:
            before = status_in_db(self.report)
            # Mostly actions the oracle allows and that keep the report open, so that walks
            # go deep (resolved, reopened, closed) instead of ending at the first rejection.
            legal = sorted(a for a, (sources, _) in EXPECTED.items() if before in sources)
            onward = [a for a in legal if EXPECTED[a][1] not in TERMINAL]
            dice = data.draw(st.integers(0, 9))
            choices = onward if dice < 6 and onward else legal if dice < 8 and legal else ACTIONS
            action = data.draw(st.sampled_from(choices))
            try:
                self.perform(action)
            except Conflict:
                allowed = action in EXPECTED and before in EXPECTED[action][0]
                assert not allowed or action == "rate", (action, before)
                assert status_in_db(self.report) == before
                return
            after = status_in_db(self.report)
            if action == "rate":
                assert before in {"resolved", "closed"} and after == before
                return
            sources, target = EXPECTED[action]
            if action == "close" and before not in sources:
                assert after == before  # the job left this report alone
                return
            assert before in sources, f"{action} was accepted from {before}"
            if target is None:
                assert after == self.before_pause
            else:
                assert after == target, (action, before, after)
            if after == "waiting":
                self.before_pause = before
            self.changes += 1

        @invariant()
        def terminal_stays_terminal_and_every_change_is_recorded(self) -> None:
            status = status_in_db(self.report)
            if self.was_terminal:
                assert status in TERMINAL
            self.was_terminal = status in TERMINAL
            assert status_changes(self.report) == self.changes
            assert (self.report.paused_at is not None) == (status == "waiting")

    run_state_machine_as_test(
        ReportWalk,
        settings=settings(
            max_examples=60,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
