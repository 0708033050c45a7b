"""A hand-made week of field reports (2026-W11, Monday 9 to Sunday 15 March 2026, local time)
and the figures worked out from it by hand in the tests.

| report | agency | filed  | status      | deadline          | answered       | rating (given) |
|--------|--------|--------|-------------|-------------------|----------------|----------------|
| r1     | SXD    | 9 Mar  | resolved    | resolve 12 Mar    | 10 Mar on time | 5 (11 Mar)     |
| r2     | SXD    | 9 Mar  | closed      | resolve 11 Mar    | 13 Mar late    | 2 (14 Mar)     |
| r3     | SXD    | 10 Mar | in_progress | resolve 12 Mar 17h| —  overdue     |                |
| r4     | SXD    | 11 Mar | duplicate   |                   |                |                |
| r5     | PCTN   | 10 Mar | resolved    | resolve 13 Mar    | 11 Mar on time | 4 (12 Mar)     |
| r6     | PCTN   | 12 Mar | rejected, not competent |       |                |                |
| r7     | PCTN   | 12 Mar | accepted    | resolve 25 Mar    | —  not overdue |                |
| r8     | CAT    | 13 Mar | submitted (hotline) | accept 14 Mar 10h | — overdue |          |
| r9     | CAT    | 3 Mar (W10) | resolved | resolve 6 Mar    | 4 Mar on time  | 3 (5 Mar)      |
| r10    | SXD    | 1 Mar (W09) | in_progress | resolve 6 Mar 17h | — overdue |            |

The report is made at NOW, Friday 20 March 2026 10:00.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from itertools import count
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.areas.models import Agency
from ioc.kit import permissions
from ioc.kit.workdays import VIETNAM_TZ
from ioc.reports.models import Category, Report, ReportAgencyRecord
from ioc.reports.seed import seed_categories

WARD = "05443"  # Phường Phan Đình Phùng
NOW = datetime(2026, 3, 20, 10, 0, tzinfo=VIETNAM_TZ)
_numbers = count(1)


def at(day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=VIETNAM_TZ)


@pytest.fixture(autouse=True)
def _no_denial_hooks() -> Iterator[None]:
    """An app built by an earlier test leaves its audit hook bound to a database that is gone."""
    saved = list(permissions._denial_hooks)
    permissions._denial_hooks.clear()
    yield
    permissions._denial_hooks[:] = saved


class Week:
    def __init__(self, session: Session) -> None:
        self.session = session
        seed_categories(session)
        category = session.scalar(select(Category).where(Category.code == "road.pothole"))
        assert category is not None
        self.category = category
        self.agency = {
            a.code: a
            for a in session.scalars(select(Agency).where(Agency.code.in_(["SXD", "PCTN", "CAT"])))
        }
        self.reports: dict[str, Report] = {}

    def add(
        self,
        name: str,
        agency: str,
        *,
        filed: datetime,
        status: str,
        channel: str = "app",
        outcome: str = "",
        **fields: Any,
    ) -> Report:
        report = Report(
            code=f"PA-2026-{next(_numbers):06d}",
            category_id=self.category.id,
            description="Ổ gà lớn giữa đường",
            area_code=WARD,
            status=status,
            agency_id=self.agency[agency].id,
            channel=channel,
            submitted_at=filed,
            **fields,
        )
        self.session.add(report)
        self.session.flush()
        self.session.add(
            ReportAgencyRecord(
                report_id=report.id,
                agency_id=self.agency[agency].id,
                received_at=filed,
                outcome=outcome,
            )
        )
        self.reports[name] = report
        return report


def make_week(session: Session) -> Week:
    w = Week(session)
    w.add(
        "r1",
        "SXD",
        filed=at(9),
        status="resolved",
        accepted_at=at(9, 10),
        resolve_due_at=at(12, 17),
        resolved_at=at(10, 15),
        rating=5,
        rated_at=at(11),
    )
    w.add(
        "r2",
        "SXD",
        filed=at(9, 10),
        status="closed",
        accepted_at=at(9, 11),
        resolve_due_at=at(11, 17),
        resolved_at=at(13, 11),
        rating=2,
        rated_at=at(14),
    )
    w.add(
        "r3",
        "SXD",
        filed=at(10),
        status="in_progress",
        accepted_at=at(10, 10),
        resolve_due_at=at(12, 17),
    )
    w.add("r4", "SXD", filed=at(11), status="duplicate")
    w.add(
        "r5",
        "PCTN",
        filed=at(10),
        status="resolved",
        accepted_at=at(10, 9, 30),
        resolve_due_at=at(13, 17),
        resolved_at=at(11, 16),
        rating=4,
        rated_at=at(12),
    )
    w.add("r6", "PCTN", filed=at(12), status="rejected", outcome="not_competent")
    w.add(
        "r7",
        "PCTN",
        filed=at(12, 14),
        status="accepted",
        accepted_at=at(12, 15),
        resolve_due_at=at(25, 17),
    )
    w.add(
        "r8", "CAT", filed=at(13), status="submitted", channel="hotline", accept_due_at=at(14, 10)
    )
    w.add(
        "r9",
        "CAT",
        filed=at(3),
        status="resolved",
        accepted_at=at(3, 10),
        resolve_due_at=at(6, 17),
        resolved_at=at(4, 10),
        rating=3,
        rated_at=at(5),
    )
    w.add(
        "r10",
        "SXD",
        filed=at(1),
        status="in_progress",
        accepted_at=at(2, 9),
        resolve_due_at=at(6, 17),
    )
    session.flush()
    return w


@pytest.fixture()
def week(seeded: Session) -> Week:
    return make_week(seeded)
