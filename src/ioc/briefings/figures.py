"""What a leader's report says, worked out from the record of field reports and the indicators.

Read-only; the caller checks the permission. Every figure of a period is over the half-open
local-time interval [start, end) of `periods.Period`:

- *received*: reports filed in the period (every channel, duplicates included: each was a
  citizen's call).
- *resolved*: reports answered as resolved in the period, still resolved or closed.
- *on time (Decision 766/QĐ-TTg)*: of the reports filed in the period and within competence
  (not merged as duplicates, not rejected as outside every agency's competence), the share
  answered with a fix by their deadline, the rule of `reports.evaluation` counted once per
  report at province level (a transfer does not count twice).
- *satisfaction*: the mean rating (1–5) of the ratings citizens gave in the period.
- *overdue* and *open*: open reports past their current deadline, and all open reports, at the
  moment the report is generated (a snapshot: the past cannot be replayed).

The agency version (``agency_id``) counts the reports the agency holds now; the ranking always
shows every agency, so that an agency sees where it stands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from ioc.areas.models import Agency, Area
from ioc.briefings.periods import LOCAL_TZ, Period
from ioc.db import UTCDateTime, utcnow
from ioc.reports import deadlines as dl
from ioc.reports import lifecycle as lc
from ioc.reports.evaluation import DEFAULT_MIN_VOLUME, AgencyScore, evaluate_agencies
from ioc.reports.models import CHANNELS, Category, Report, ReportAgencyRecord

if TYPE_CHECKING:
    from ioc.indicators.overview import Tile

TREND_PERIODS = 12
OUTSTANDING_LIMIT = 15
# The evaluation ranks an agency only from a minimum number of reports within competence (one
# fast case must not top the table): 10 over a month, as in reports.evaluation; a week holds
# about a quarter of that.
MIN_VOLUME = {"week": 3, "month": DEFAULT_MIN_VOLUME}
RESOLVED_STATUSES = (lc.RESOLVED, lc.CLOSED)
# Colour bands. The on-time share follows the province's target of answering nine reports in
# ten on time; satisfaction is on the citizens' 1–5 scale.
ON_TIME_GOOD, ON_TIME_WARNING = 0.9, 0.7
RATING_GOOD, RATING_WARNING = 4.0, 3.5
OVERDUE_WARNING_SHARE = 0.1  # overdue ÷ open above this is bad; any overdue is a warning


@dataclass(frozen=True)
class Figure:
    code: str
    label: str  # English message id
    value: float | None
    previous: float | None
    kind: str  # count | ratio | rating
    band: str  # good | warning | bad | none
    higher_is_better: bool | None
    note: str = ""  # English message id: how it is counted

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


@dataclass(frozen=True)
class ChannelRow:
    channel: str
    label: str  # English message id
    received: int
    previous: int


@dataclass(frozen=True)
class OutstandingRow:
    code: str
    category: str
    commune: str
    agency: str
    submitted_at: datetime
    due_at: datetime
    days_overdue: int


@dataclass(frozen=True)
class TrendPoint:
    period: Period
    received: int
    resolved: int
    on_time: float | None
    rating: float | None


@dataclass(frozen=True)
class BriefingData:
    period: Period
    agency_id: int | None
    agency_name: str
    generated_at: datetime
    figures: list[Figure]
    channels: list[ChannelRow]
    tiles: list[Tile]
    ranking: list[AgencyScore]
    min_volume: int
    outstanding: list[OutstandingRow]
    outstanding_total: int
    trend: list[TrendPoint]

    def figure(self, code: str) -> Figure:
        return next(f for f in self.figures if f.code == code)


@dataclass(frozen=True)
class _Counts:
    received: int
    resolved: int
    within: int
    on_time: int
    ratings: int
    rating_sum: int
    channels: dict[str, int]

    @property
    def on_time_ratio(self) -> float | None:
        return self.on_time / self.within if self.within else None

    @property
    def rating_mean(self) -> float | None:
        return self.rating_sum / self.ratings if self.ratings else None


def _scope(agency_id: int | None) -> list[ColumnElement[bool]]:
    return [Report.agency_id == agency_id] if agency_id is not None else []


def _within_competence() -> ColumnElement[bool]:
    not_competent = exists().where(
        ReportAgencyRecord.report_id == Report.id, ReportAgencyRecord.outcome == "not_competent"
    )
    return and_(Report.status != lc.DUPLICATE, ~and_(Report.status == lc.REJECTED, not_competent))


def _answered_on_time() -> ColumnElement[bool]:
    return and_(
        Report.status.in_(RESOLVED_STATUSES),
        Report.resolved_at.is_not(None),
        or_(Report.resolve_due_at.is_(None), Report.resolved_at <= Report.resolve_due_at),
    )


def _bucket(column: Any, bounds: Sequence[datetime]) -> ColumnElement[int]:
    """Which of the periods between consecutive ``bounds`` a timestamp falls in, as SQL: one
    GROUP BY over the whole range instead of a query per period."""
    return case(
        *[(column < literal(bound, UTCDateTime()), i) for i, bound in enumerate(bounds[1:])],
        else_=-1,
    )


def _in_range(column: Any, bounds: Sequence[datetime]) -> list[ColumnElement[bool]]:
    return [
        column >= literal(bounds[0], UTCDateTime()),
        column < literal(bounds[-1], UTCDateTime()),
    ]


def _series(session: Session, spans: Sequence[Period], agency_id: int | None) -> list[_Counts]:
    """The period counts of consecutive ``spans``, oldest first, in four grouped queries."""
    bounds = [p.start_utc for p in spans] + [spans[-1].end_utc]
    scope = _scope(agency_id)
    n = len(spans)
    channels: list[dict[str, int]] = [{} for _ in range(n)]
    within, on_time, resolved, ratings, rating_sum = ([0] * n for _ in range(5))
    filed = _bucket(Report.submitted_at, bounds).label("bucket")
    for bucket, channel, count in session.execute(
        select(filed, Report.channel, func.count())
        .where(*_in_range(Report.submitted_at, bounds), *scope)
        .group_by(filed, Report.channel)
    ):
        if 0 <= bucket < n:
            channels[bucket][str(channel)] = int(count)
    for bucket, count, timely in session.execute(
        select(filed, func.count(), func.count(Report.id).filter(_answered_on_time()))
        .where(*_in_range(Report.submitted_at, bounds), _within_competence(), *scope)
        .group_by(filed)
    ):
        if 0 <= bucket < n:
            within[bucket], on_time[bucket] = int(count), int(timely)
    answered = _bucket(Report.resolved_at, bounds).label("bucket")
    for bucket, count in session.execute(
        select(answered, func.count())
        .where(
            *_in_range(Report.resolved_at, bounds),
            Report.status.in_(RESOLVED_STATUSES),
            *scope,
        )
        .group_by(answered)
    ):
        if 0 <= bucket < n:
            resolved[bucket] = int(count)
    rated = _bucket(Report.rated_at, bounds).label("bucket")
    for bucket, count, total in session.execute(
        select(rated, func.count(Report.rating), func.sum(Report.rating))
        .where(*_in_range(Report.rated_at, bounds), Report.rating.is_not(None), *scope)
        .group_by(rated)
    ):
        if 0 <= bucket < n:
            ratings[bucket], rating_sum[bucket] = int(count), int(total or 0)
    return [
        _Counts(
            received=sum(channels[i].values()),
            resolved=resolved[i],
            within=within[i],
            on_time=on_time[i],
            ratings=ratings[i],
            rating_sum=rating_sum[i],
            channels=channels[i],
        )
        for i in range(n)
    ]


def _overdue_condition(now: datetime) -> ColumnElement[bool]:
    """`deadlines.is_overdue` in SQL: while the agency waits for the citizen, the clock stands
    at the pause."""
    due = dl.current_due_sql()
    stopped = and_(Report.status == lc.WAITING, Report.paused_at.is_not(None))
    now_ = literal(now, UTCDateTime())
    return and_(
        Report.status.in_(sorted(lc.OPEN)),
        due.is_not(None),
        or_(and_(stopped, Report.paused_at > due), and_(~stopped, now_ > due)),
    )


def _open_counts(session: Session, agency_id: int | None, now: datetime) -> tuple[int, int]:
    scope = _scope(agency_id)
    open_ = session.scalar(select(func.count()).where(Report.status.in_(sorted(lc.OPEN)), *scope))
    overdue = session.scalar(select(func.count()).where(_overdue_condition(now), *scope))
    return open_ or 0, overdue or 0


def _band_at_least(value: float | None, good: float, warning: float) -> str:
    if value is None:
        return "none"
    if value >= good:
        return "good"
    return "warning" if value >= warning else "bad"


def _overdue_band(overdue: int, open_: int) -> str:
    if overdue == 0:
        return "good"
    return "bad" if open_ and overdue / open_ > OVERDUE_WARNING_SHARE else "warning"


def outstanding(
    session: Session, *, agency_id: int | None, now: datetime, limit: int = OUTSTANDING_LIMIT
) -> tuple[list[OutstandingRow], int]:
    """The open reports furthest past their deadline, most overdue first, and how many are
    overdue in all."""
    due = dl.current_due_sql()
    condition = [_overdue_condition(now), *_scope(agency_id)]
    total = session.scalar(select(func.count()).where(*condition)) or 0
    rows = session.execute(
        select(
            Report.code,
            Report.status,
            Report.paused_at,
            Report.submitted_at,
            due.label("due"),
            Category.name_vi,
            Area.name.label("commune"),
            Agency.name.label("agency"),
        )
        .join(Category, Category.id == Report.category_id)
        .outerjoin(Area, Area.code == Report.area_code)
        .outerjoin(Agency, Agency.id == Report.agency_id)
        .where(*condition)
        .order_by(due, Report.id)
        .limit(limit)
    ).all()
    result = []
    for row in rows:
        due_at = _aware(row.due)
        clock = _aware(row.paused_at) if row.status == lc.WAITING and row.paused_at else now
        result.append(
            OutstandingRow(
                code=row.code,
                category=row.name_vi,
                commune=row.commune or "",
                agency=row.agency or "",
                submitted_at=_aware(row.submitted_at),
                due_at=due_at,
                days_overdue=max(0, (clock - due_at).days),
            )
        )
    return result, total


def _aware(value: Any) -> datetime:
    # A CASE expression loses the column type: SQLite then gives a naive UTC string or value.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def build(
    session: Session,
    period: Period,
    *,
    agency_id: int | None = None,
    now: datetime | None = None,
    locale: str = "vi",
    min_volume: int | None = None,
) -> BriefingData:
    """Everything the page, the PDF and the workbook show for one period."""
    if min_volume is None:
        min_volume = MIN_VOLUME[period.kind]
    from ioc.indicators.overview import overview_tiles

    now = now or utcnow()
    spans = period.back(TREND_PERIODS)
    series = _series(session, spans, agency_id)
    this, before = series[-1], series[-2]
    open_, overdue = _open_counts(session, agency_id, now)
    figures = [
        Figure(
            "received", "Reports received", this.received, before.received, "count", "none", None
        ),
        Figure(
            "resolved", "Reports resolved", this.resolved, before.resolved, "count", "none", True
        ),
        Figure(
            "on_time",
            "Answered on time (Decision 766)",
            this.on_time_ratio,
            before.on_time_ratio,
            "ratio",
            _band_at_least(this.on_time_ratio, ON_TIME_GOOD, ON_TIME_WARNING),
            True,
            "Of the reports received in the period and within competence",
        ),
        Figure(
            "satisfaction",
            "Citizen satisfaction",
            this.rating_mean,
            before.rating_mean,
            "rating",
            _band_at_least(this.rating_mean, RATING_GOOD, RATING_WARNING),
            True,
            "Mean rating (1–5) given in the period",
        ),
        Figure(
            "overdue",
            "Overdue, still open",
            overdue,
            None,
            "count",
            _overdue_band(overdue, open_),
            False,
            "At the time of the report",
        ),
        Figure(
            "open", "Open reports", open_, None, "count", "none", False, "At the time of the report"
        ),
    ]
    from ioc.reports.presenters import CHANNEL_LABELS

    channels = [
        ChannelRow(
            ch, CHANNEL_LABELS.get(ch, ch), this.channels.get(ch, 0), before.channels.get(ch, 0)
        )
        for ch in CHANNELS
        if this.channels.get(ch) or before.channels.get(ch)
    ]
    agency_name = ""
    if agency_id is not None:
        agency = session.get(Agency, agency_id)
        agency_name = agency.name if agency else ""
    rows, total = outstanding(session, agency_id=agency_id, now=now)
    return BriefingData(
        period=period,
        agency_id=agency_id,
        agency_name=agency_name,
        generated_at=now,
        figures=figures,
        channels=channels,
        tiles=overview_tiles(session, area_code=None, agency_id=agency_id, locale=locale),
        ranking=evaluate_agencies(
            session,
            start=period.start_utc,
            end=period.end_utc,
            now=now,
            min_volume=min_volume,
        ),
        min_volume=min_volume,
        outstanding=rows,
        outstanding_total=total,
        trend=[
            TrendPoint(p, c.received, c.resolved, c.on_time_ratio, c.rating_mean)
            for p, c in zip(spans, series, strict=True)
        ],
    )


def local(value: datetime) -> datetime:
    return value.astimezone(LOCAL_TZ)
