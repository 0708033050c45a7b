"""The indicators the reports module computes for the province's scorecard (Decision 766/QĐ-TTg
style), by commune or province, and per agency for the agency scorecard.

Each figure follows the rules of `evaluation.py` (one definition of "on time", "late",
"overdue" and "within competence"), counted over the agency records received in the period:

- *answered on time* = resolved on time ÷ within competence, in %;
- *satisfaction (766)* = (all − unsatisfied − late) ÷ all, within competence, in %;
- *mean rating* over the ratings given (1–5), and *share satisfied* = ratings of 3 or more ÷
  ratings, in %;
- *backlog*: reports still open at the end of the period (filed before it ends, not yet
  answered or closed then); *overdue*: those of them already past their deadline then;
- *received per 10,000 people*: reports filed in the period (duplicates left out) ÷ population.
  The unit data carries no population yet: without one the figure is not measured (None).

Periods are [start, end) in local dates; one SQL aggregate per figure set."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from ioc.areas.models import Area
from ioc.db import UTCDateTime, utcnow
from ioc.kit.module import IndicatorSpec
from ioc.kit.workdays import VIETNAM_TZ
from ioc.reports import lifecycle as lc
from ioc.reports.evaluation import (
    NOT_COMPETENT,
    RESOLVED_STATUSES,
    TRANSFERRED,
    UNSATISFIED_AT_MOST,
    _on_time_sql,
    _overdue_sql,
)
from ioc.reports.models import Report, ReportAgencyRecord

ON_TIME = "reports.on_time"
SATISFACTION_766 = "reports.satisfaction_766"
RATING_MEAN = "reports.rating_mean"
SATISFIED_SHARE = "reports.satisfied_share"
BACKLOG = "reports.backlog"
OVERDUE = "reports.overdue"
PER_10K = "reports.per_10k"
# While a caller computes many indicators over unchanging records (the indicators job), it
# puts a dict under this key in ``session.info`` so that shared figures are queried once.
CACHE_KEY = "ioc.reports.indicator_cache"


def local_instant(day: date) -> datetime:
    """Midnight at the start of ``day``, local time."""
    return datetime.combine(day, time(0), tzinfo=VIETNAM_TZ)


def _count(condition: Any) -> Any:
    return func.count(case((condition, 1)))


def record_figures(
    session: Session,
    *,
    start: date,
    end: date,
    area_code: str | None = None,
    agency_id: int | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """The counts behind the ratios, over the agency records received in [start, end)."""
    # Four indicators share these counts: a computing run (see CACHE_KEY) asks SQL once.
    cache = session.info.get(CACHE_KEY)
    key = ("records", start, end, area_code, agency_id, now)
    if cache is not None and key in cache:
        return dict(cache[key])
    figures = _record_figures(session, start, end, area_code, agency_id, now)
    if cache is not None:
        cache[key] = figures
    return figures


def _record_figures(
    session: Session,
    start: date,
    end: date,
    area_code: str | None,
    agency_id: int | None,
    now: datetime | None,
) -> dict[str, int]:
    stmt = _figures_select(now or utcnow()).where(
        ReportAgencyRecord.received_at >= local_instant(start),
        ReportAgencyRecord.received_at < local_instant(end),
    )
    if area_code is not None:
        stmt = stmt.where(Report.area_code == area_code)
    if agency_id is not None:
        stmt = stmt.where(ReportAgencyRecord.agency_id == agency_id)
    row = session.execute(stmt).one()
    return {k: int(v or 0) for k, v in row._mapping.items()}


def _figures_select(now: datetime, *keys: Any, extra: tuple[Any, ...] = ()) -> Any:
    """The counts behind the ratios (see the module's docstring), over records joined to
    their reports; grouped by ``keys`` when given."""
    rec = ReportAgencyRecord
    within = and_(rec.outcome.not_in((TRANSFERRED, NOT_COMPETENT)), Report.status != lc.DUPLICATE)
    resolved = and_(Report.status.in_(RESOLVED_STATUSES), Report.resolved_at.is_not(None))
    on_time = and_(resolved, _on_time_sql(Report.resolved_at, Report.resolve_due_at))
    overdue = and_(Report.status.in_(lc.OPEN), _overdue_sql(now))
    unsatisfied = and_(Report.rating.is_not(None), Report.rating <= UNSATISFIED_AT_MOST)
    late = or_(and_(resolved, ~on_time), overdue)
    stmt = (
        select(
            *keys,
            *extra,
            _count(within).label("within"),
            _count(and_(within, on_time)).label("on_time"),
            _count(and_(within, or_(late, unsatisfied))).label("late_or_unsatisfied"),
            _count(and_(within, Report.rating.is_not(None))).label("ratings"),
            func.coalesce(func.sum(case((within, Report.rating))), 0).label("rating_sum"),
            _count(and_(within, unsatisfied)).label("unsatisfied"),
            _count(and_(within, overdue)).label("overdue_open"),
        )
        .select_from(rec)
        .join(Report, Report.id == rec.report_id)
    )
    return stmt.group_by(*keys) if keys else stmt


def agency_table(
    session: Session, *, start: datetime, end: datetime, now: datetime | None = None
) -> dict[int, dict[str, int]]:
    """The same counts for every agency with records received in [start, end): one GROUP BY
    (the agency scorecard's ranking; lighter than the full evaluation)."""
    rec = ReportAgencyRecord
    stmt = _figures_select(now or utcnow(), rec.agency_id, extra=(func.count().label("received"),))
    stmt = stmt.where(rec.received_at >= start, rec.received_at < end)
    out: dict[int, dict[str, int]] = {}
    for row in session.execute(stmt):
        values = dict(row._mapping)
        agency_id = int(values.pop("agency_id"))
        out[agency_id] = {k: int(v or 0) for k, v in values.items()}
    return out


def _pct(part: int, whole: int) -> float | None:
    return part / whole * 100.0 if whole else None


def on_time(
    session: Session, *, area_code: str | None, start: date, end: date, **kw: Any
) -> float | None:
    f = record_figures(session, start=start, end=end, area_code=area_code, **kw)
    return _pct(f["on_time"], f["within"])


def satisfaction_766(
    session: Session, *, area_code: str | None, start: date, end: date, **kw: Any
) -> float | None:
    f = record_figures(session, start=start, end=end, area_code=area_code, **kw)
    return _pct(f["within"] - f["late_or_unsatisfied"], f["within"])


def rating_mean(
    session: Session, *, area_code: str | None, start: date, end: date, **kw: Any
) -> float | None:
    f = record_figures(session, start=start, end=end, area_code=area_code, **kw)
    return f["rating_sum"] / f["ratings"] if f["ratings"] else None


def satisfied_share(
    session: Session, *, area_code: str | None, start: date, end: date, **kw: Any
) -> float | None:
    f = record_figures(session, start=start, end=end, area_code=area_code, **kw)
    return _pct(f["ratings"] - f["unsatisfied"], f["ratings"])


def _open_at(end_at: datetime) -> Any:
    """Open at ``end_at``: open now, or answered/closed only at or after it."""
    done_at = func.coalesce(Report.resolved_at, Report.closed_at)
    return and_(
        Report.submitted_at < end_at,
        Report.status != lc.DUPLICATE,
        or_(Report.status.in_(lc.OPEN), and_(done_at.is_not(None), done_at >= end_at)),
    )


def open_figures(
    session: Session,
    *,
    end: date,
    area_code: str | None = None,
    agency_id: int | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Reports open at the end of the period, and those of them past their deadline then."""
    cache = session.info.get(CACHE_KEY)
    key = ("open", end, area_code, agency_id, now)
    if cache is not None and key in cache:
        return dict(cache[key])
    figures = _open_figures(session, end, area_code, agency_id, now)
    if cache is not None:
        cache[key] = figures
    return figures


def _open_figures(
    session: Session,
    end: date,
    area_code: str | None,
    agency_id: int | None,
    now: datetime | None,
) -> dict[str, int]:
    now = now or utcnow()
    end_at = min(local_instant(end), now)
    end_sql = literal(end_at, UTCDateTime())
    # "Open at end_at" is split into disjoint branches, counted separately and summed, so that
    # each is answered by an index with the agency as equality: open now
    # [(agency_id, status)]; answered at or after end_at [(agency_id, resolved_at, ...)]; or
    # closed without an answer at or after end_at [(agency_id, resolved_at IS NULL,
    # closed_at)]. Together they are `_open_at` exactly (coalesce(resolved_at, closed_at)).
    # Overdue then: open and overdue by the one definition, or answered/closed only later with
    # the resolution deadline already gone by at end_at.
    due_gone = and_(Report.resolve_due_at.is_not(None), Report.resolve_due_at < end_sql)
    not_open = and_(~Report.status.in_(lc.OPEN), Report.status != lc.DUPLICATE)
    branches: list[tuple[Any, Any]] = [(Report.status.in_(lc.OPEN), _overdue_sql(end_at))]
    # At the present moment "open then" is simply "open now" (nothing is answered in the
    # future). A commune alone keeps one query: its (area_code) index narrows enough, and
    # the branches there would be planned worse (measured on 1 M reports).
    if end_at < now and area_code is not None and agency_id is None:
        branches = [
            (
                _open_at(end_at),
                or_(
                    and_(Report.status.in_(lc.OPEN), branches[0][1]),
                    and_(~Report.status.in_(lc.OPEN), due_gone),
                ),
            )
        ]
    elif end_at < now:
        branches += [
            (and_(not_open, Report.resolved_at >= end_at), due_gone),
            (
                and_(not_open, Report.resolved_at.is_(None), Report.closed_at >= end_at),
                due_gone,
            ),
        ]
    parts = []
    for where, overdue in branches:
        part = select(func.count().label("open"), _count(overdue).label("overdue")).where(
            where, Report.submitted_at < end_at
        )
        if area_code is not None:
            part = part.where(Report.area_code == area_code)
        if agency_id is not None:
            part = part.where(Report.agency_id == agency_id)
        parts.append(part)
    if len(parts) == 1:
        row = session.execute(parts[0]).one()
    else:
        both = union_all(*parts).subquery()
        row = session.execute(
            select(func.sum(both.c.open).label("open"), func.sum(both.c.overdue).label("overdue"))
        ).one()
    return {"open": int(row.open or 0), "overdue": int(row.overdue or 0)}


def backlog(
    session: Session, *, area_code: str | None, start: date, end: date, **kw: Any
) -> float | None:
    return float(open_figures(session, end=end, area_code=area_code, **kw)["open"])


def overdue(
    session: Session, *, area_code: str | None, start: date, end: date, **kw: Any
) -> float | None:
    return float(open_figures(session, end=end, area_code=area_code, **kw)["overdue"])


def population(session: Session, area_code: str | None) -> int | None:
    """The area's population; for the province, its own figure or the sum of its communes'."""
    cache = session.info.get(CACHE_KEY)
    if cache is not None:
        key = ("population", area_code)
        if key not in cache:
            cache[key] = _population(session, area_code)
        return cache[key]  # type: ignore[no-any-return]
    return _population(session, area_code)


def _population(session: Session, area_code: str | None) -> int | None:
    if area_code is not None:
        area = session.get(Area, area_code)
        if area is None:
            return None
        if area.parent_code is not None or area.population:
            return area.population or None
    else:
        own = session.scalar(select(Area.population).where(Area.parent_code.is_(None)))
        if own:
            return int(own)
    total = session.scalar(
        select(func.sum(Area.population)).where(
            Area.parent_code.is_not(None), Area.population.is_not(None)
        )
    )
    return int(total) if total else None


def received(session: Session, *, area_code: str | None, start: date, end: date, **_kw: Any) -> int:
    stmt = select(func.count()).where(
        Report.submitted_at >= local_instant(start),
        Report.submitted_at < local_instant(end),
        Report.status != lc.DUPLICATE,
    )
    if area_code is not None:
        stmt = stmt.where(Report.area_code == area_code)
    return int(session.scalar(stmt) or 0)


def per_10k(
    session: Session, *, area_code: str | None, start: date, end: date, **kw: Any
) -> float | None:
    people = population(session, area_code)
    if not people:
        return None
    return received(session, area_code=area_code, start=start, end=end) / people * 10_000


def agency_figures(
    session: Session, *, agency_id: int, start: date, end: date, now: datetime | None = None
) -> dict[str, float | None]:
    """The reports indicators of one agency over [start, end): two queries."""
    f = record_figures(session, start=start, end=end, agency_id=agency_id, now=now)
    o = open_figures(session, end=end, agency_id=agency_id, now=now)
    return {
        ON_TIME: _pct(f["on_time"], f["within"]),
        SATISFACTION_766: _pct(f["within"] - f["late_or_unsatisfied"], f["within"]),
        RATING_MEAN: f["rating_sum"] / f["ratings"] if f["ratings"] else None,
        SATISFIED_SHARE: _pct(f["ratings"] - f["unsatisfied"], f["ratings"]),
        BACKLOG: float(o["open"]),
        OVERDUE: float(o["overdue"]),
    }


INDICATORS = (
    IndicatorSpec(
        ON_TIME,
        "Tỷ lệ phản ánh hiện trường được giải quyết đúng hạn",
        "Field reports answered on time",
        "%",
        on_time,
        target=90.0,
        formula="Số phản ánh giải quyết xong đúng hạn ÷ số phản ánh thuộc thẩm quyền "
        "tiếp nhận trong kỳ × 100 (Quyết định 766/QĐ-TTg)",
        theme="theme.governance",
        headline=True,
    ),
    IndicatorSpec(
        SATISFACTION_766,
        "Mức độ hài lòng trong giải quyết phản ánh (QĐ 766)",
        "Satisfaction with report handling (Decision 766)",
        "%",
        satisfaction_766,
        target=90.0,
        formula="(Tổng số phản ánh − số không hài lòng − số trễ hạn) ÷ tổng số phản ánh thuộc "
        "thẩm quyền × 100 (Quyết định 766/QĐ-TTg)",
        theme="theme.governance",
        headline=True,
    ),
    IndicatorSpec(
        RATING_MEAN,
        "Điểm đánh giá trung bình của người dân",
        "Citizens' mean rating",
        "điểm",
        rating_mean,
        target=4.0,
        formula="Trung bình các điểm đánh giá (1–5) người dân cho câu trả lời",
        decimals=2,
        theme="theme.governance",
    ),
    IndicatorSpec(
        SATISFIED_SHARE,
        "Tỷ lệ người dân hài lòng với câu trả lời",
        "Share of citizens satisfied with the answer",
        "%",
        satisfied_share,
        target=85.0,
        formula="Số đánh giá từ 3 điểm trở lên ÷ tổng số đánh giá × 100",
        theme="theme.governance",
    ),
    IndicatorSpec(
        BACKLOG,
        "Phản ánh đang tồn đọng",
        "Open reports (backlog)",
        "phản ánh",
        backlog,
        direction="lower",
        band_mode="none",
        rollup="sum",
        formula="Số phản ánh chưa giải quyết xong tại thời điểm cuối kỳ",
        decimals=0,
        theme="theme.governance",
        headline=True,
    ),
    IndicatorSpec(
        OVERDUE,
        "Phản ánh quá hạn chưa giải quyết",
        "Overdue open reports",
        "phản ánh",
        overdue,
        direction="lower",
        band_mode="absolute",
        good_at=0.0,
        warn_at=10.0,
        rollup="sum",
        formula="Số phản ánh chưa giải quyết xong đã quá hạn tại thời điểm cuối kỳ",
        decimals=0,
        theme="theme.governance",
        headline=True,
    ),
    IndicatorSpec(
        PER_10K,
        "Số phản ánh tiếp nhận trên 10.000 dân",
        "Reports received per 10,000 people",
        "/10.000 dân",
        per_10k,
        direction="lower",
        band_mode="none",
        formula="Số phản ánh tiếp nhận trong kỳ (không tính trùng) ÷ dân số × 10.000",
        decimals=1,
        theme="theme.governance",
    ),
)
