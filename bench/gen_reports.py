"""Fill a migrated and seeded `ioc` database with N synthetic field reports, fast.

    .venv/bin/python bench/gen_reports.py --sqlite /tmp/x/ioc.sqlite3 --reports 1000000
    .venv/bin/python bench/gen_reports.py --postgres postgresql://postgres@127.0.0.1:5432/db

Rows go in below the ORM: `executemany` in large transactions on SQLite (foreign keys off,
synchronous=OFF while loading), `COPY … FROM STDIN` on PostgreSQL. What the rows hold is what
the read paths of the reports module look at:

- categories, communes, agencies and routing rules are those `ioc seed` wrote (the real seed),
  and every report goes to the agency the routing rules give for its category and commune;
- filing times spread over the last 3 years (`--years`), by local hour of day like people report;
  ids and public codes (PA-YYYY-NNNNNN) follow filing order, and `report_counters` is moved past
  the last number so that intake continues the series;
- categories weighted by group (roads and traffic ~23%), communes by the square root of their
  area with wards four times more (as the demo does), points around the commune centre, H3
  cells at resolution 9 with `ioc.kit.geo.h3_cell`, search keys with `ioc.kit.text.search_key`;
- statuses by age: nearly all of the last days open, ~1% of old ones still open (forgotten), the
  rest closed (resolved then auto-closed after 7 days), closed without fix, rejected (some as
  not competent), duplicates; deadlines, acceptance and resolution times with ~10% late,
  ratings on ~45% of answers, ~5% reopened, ~5% transferred between agencies;
- one `report_agency_records` row per agency that held a report (what the scorecard reads, with
  the resolution columns service.resolve stores: time, officer, working seconds) and,
  sparse on purpose, one `report_updates` row per resolution (the timeline; the officer table
  reads the records). A real timeline has ~4–6 updates per report.

Everything is seeded (`--seed`), so two runs with the same N make the same rows.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import math
import random
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ioc.kit.geo import h3_cell
from ioc.kit.text import search_key
from ioc.kit.workdays import WorkCalendar

CHUNK = 50_000
CALENDAR = WorkCalendar()  # the office calendar of a freshly seeded database (no overrides)
LOCAL = timedelta(hours=7)  # Asia/Ho_Chi_Minh has no daylight saving time
REOPEN_DAYS = 7
HOUR_WEIGHTS = (
    0.3, 0.2, 0.1, 0.1, 0.2, 0.6, 2, 5, 8, 9, 9, 7, 4, 4, 7, 8, 8, 7, 6, 5, 4, 3, 2, 0.8,
)  # fmt: skip
GROUP_WEIGHTS = {
    "roads": 23, "environment": 15, "urban": 14, "lighting": 8, "water": 8, "electricity": 7,
    "security": 8, "health": 5, "education": 4, "land": 5, "other": 3,
    # Questions and suggestions have no place, which this generator always gives: left out,
    # so that the figures stay comparable with the first round's.
    "feedback": 0,
}  # fmt: skip
CHANNEL_WEIGHTS = {"app": 70, "web": 8, "hotline": 10, "console": 4, "open311": 5, "api": 3}
OPEN_WEIGHTS = {"accepted": 35, "in_progress": 35, "submitted": 17, "waiting": 8, "reopened": 5}
RATING_WEIGHTS = {5: 40, 4: 25, 3: 15, 2: 10, 1: 10}
DETAILS = (
    "đã lâu chưa được xử lý",
    "gây nguy hiểm cho người đi đường",
    "người dân rất bức xúc",
    "nhất là vào buổi tối",
    "sau trận mưa lớn vừa qua",
    "ảnh hưởng đến sinh hoạt của nhiều hộ dân",
    "đề nghị cơ quan chức năng sớm kiểm tra, xử lý",
    "tình trạng kéo dài nhiều ngày",
)
STREETS = (
    "Hoàng Văn Thụ", "Lương Ngọc Quyến", "Quang Trung", "Cách Mạng Tháng Tám", "Minh Cầu",
    "Đội Cấn", "Dương Tự Minh", "Bến Oánh", "Z115", "Tố Hữu", "Việt Bắc", "Thống Nhất",
    "Quốc lộ 3", "Quốc lộ 37", "đường tỉnh 261", "đường liên xã",
)  # fmt: skip
ANSWER = "Cơ quan đã tiếp nhận, kiểm tra hiện trường và khắc phục xong. Trân trọng cảm ơn."
FAKE_OFFICERS = range(100_000, 100_400)  # actor ids of resolutions (no user rows behind them)

REPORT_COLUMNS = (
    "id", "code", "category_id", "urgency", "description", "attributes", "lat", "lon", "h3_cell",
    "area_code", "address", "status", "agency_id", "assignee_id", "channel", "reporter_user_id",
    "reporter_name", "reporter_phone", "reporter_email", "anonymous", "idempotency_key",
    "duplicate_of_id", "submitted_at", "accept_due_at", "accepted_at", "resolve_due_at",
    "resolved_at", "closed_at", "paused_at", "reopen_count", "reminded_at", "escalated_at",
    "public_answer", "rating", "rating_comment", "rated_at", "is_hidden", "is_demo", "search_key",
    "updated_at",
)  # fmt: skip
UPDATE_COLUMNS = (
    "id", "report_id", "at", "actor_id", "actor_role", "kind", "from_status", "to_status",
    "agency_id", "to_agency_id", "public_text", "internal_note", "reason",
)  # fmt: skip
RECORD_COLUMNS = (
    "id", "report_id", "agency_id", "received_at", "left_at", "outcome", "resolved_at",
    "resolver_id", "resolve_working_seconds",
)  # fmt: skip

Progress = Callable[[str], None]


# --- the seed's reference data ----------------------------------------------------------------


@dataclass(frozen=True)
class _Category:
    id: int
    code: str
    group: str
    urgency: str
    name_vi: str


@dataclass(frozen=True)
class _Commune:
    code: str
    name: str
    kind: str
    lat: float
    lon: float
    weight: float


@dataclass
class _World:
    categories: list[_Category]
    category_cum: list[float]
    communes: list[_Commune]
    commune_cum: list[float]
    route: dict[tuple[int, str], int | None]  # (category id, commune) → agency id
    agency_ids: list[int]
    descriptions: dict[int, list[str]] = field(default_factory=dict)
    addresses: dict[str, list[str]] = field(default_factory=dict)


def _cumulative(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def _pick(rng: random.Random, items: Sequence[Any], cum: Sequence[float]) -> Any:
    return items[bisect.bisect_right(cum, rng.random() * cum[-1])]


def load_world(rows: Callable[[str], list[tuple[Any, ...]]]) -> _World:
    """Categories, communes, agencies and routing rules as `ioc seed` left them."""
    categories = [
        _Category(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]))
        for r in rows(
            'SELECT id, code, "group", default_urgency, name_vi FROM report_categories '
            "WHERE is_active ORDER BY id"
        )
    ]
    if not categories:
        raise SystemExit("No report categories: run `ioc db upgrade` and `ioc seed` first.")
    per_group: dict[str, int] = {}
    for c in categories:
        per_group[c.group] = per_group.get(c.group, 0) + 1
    category_weights = [GROUP_WEIGHTS.get(c.group, 3) / per_group[c.group] for c in categories]
    communes = [
        _Commune(
            str(code),
            str(name),
            str(kind),
            float(lat),
            float(lon),
            math.sqrt(float(km2 or 10.0)) * (4.0 if kind == "phường" else 1.0),
        )
        for code, name, kind, lat, lon, km2 in rows(
            "SELECT code, name, kind, lat, lon, area_km2 FROM areas "
            "WHERE kind <> 'province' AND lat IS NOT NULL ORDER BY code"
        )
    ]
    agencies = {
        str(code): int(id_)
        for id_, code, active in rows("SELECT id, code, is_active FROM agencies")
        if active
    }
    rules: dict[int, dict[str | None, str]] = {}
    for category_id, area_code, target in rows(
        "SELECT category_id, area_code, target FROM report_routing_rules"
    ):
        rules.setdefault(int(category_id), {})[area_code] = str(target)
    route: dict[tuple[int, str], int | None] = {}
    for c in categories:
        mine = rules.get(c.id, {})
        for commune in communes:
            target = mine.get(commune.code, mine.get(None))
            if target is None:
                route[(c.id, commune.code)] = None
                continue
            code = f"UBND-{commune.code}" if target == "commune" else target
            route[(c.id, commune.code)] = agencies.get(code)
    world = _World(
        categories,
        _cumulative(category_weights),
        communes,
        _cumulative([c.weight for c in communes]),
        route,
        sorted(agencies.values()),
    )
    for c in categories:
        world.descriptions[c.id] = [
            f"{c.name_vi} {street}, {detail}." for street in STREETS[:8] for detail in DETAILS
        ]
    for commune in communes:
        world.addresses[commune.code] = [
            f"Số {n} {street}, {commune.name}"
            for n, street in zip(range(3, 200, 17), STREETS, strict=False)
        ]
    return world


# --- one report ---------------------------------------------------------------------------------


@dataclass
class _Rows:
    reports: list[tuple[Any, ...]] = field(default_factory=list)
    updates: list[tuple[Any, ...]] = field(default_factory=list)
    records: list[tuple[Any, ...]] = field(default_factory=list)


_FOLDED: dict[str, str] = {}


def _search_key(description: str, address: str) -> str:
    """`search_key(description, address)`, with each part's fold computed once per text."""
    keys = []
    for part in (description, address):
        key = _FOLDED.get(part)
        if key is None:
            key = _FOLDED[part] = search_key(part)
        if key:
            keys.append(key)
    return " ".join(keys)


def _hours(h: float) -> timedelta:
    return timedelta(hours=h)


def _filing_times(rng: random.Random, n: int, now: datetime, years: float) -> list[datetime]:
    """N filing instants (UTC, sorted) over the last `years`, by local hour of day."""
    days = years * 365.0
    hour_cum = _cumulative(HOUR_WEIGHTS)
    start_local = (now + LOCAL - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    out = []
    for _ in range(n):
        day = int(rng.random() * days)
        hour = bisect.bisect_right(hour_cum, rng.random() * hour_cum[-1])
        local = start_local.replace(hour=0) + timedelta(days=day, hours=hour + rng.random())
        at = local - LOCAL
        out.append(min(at, now - timedelta(seconds=rng.random() * 600)))
    out.sort()
    return out


def _report(
    rng: random.Random,
    world: _World,
    *,
    id_: int,
    code: str,
    filed: datetime,
    now: datetime,
    rows: _Rows,
    ids: itertools.count[int],
    record_ids: itertools.count[int],
    fmt: Callable[[datetime | None], Any],
) -> None:
    category: _Category = _pick(rng, world.categories, world.category_cum)
    commune: _Commune = _pick(rng, world.communes, world.commune_cum)
    lat = commune.lat + rng.gauss(0.0, 0.008)
    lon = commune.lon + rng.gauss(0.0, 0.008)
    agency = world.route.get((category.id, commune.code))
    age_days = (now - filed).total_seconds() / 86400
    description = rng.choice(world.descriptions[category.id])
    address = rng.choice(world.addresses[commune.code])
    channel = rng.choices(tuple(CHANNEL_WEIGHTS), tuple(CHANNEL_WEIGHTS.values()))[0]
    anonymous = rng.random() < 0.4
    urgency = category.urgency
    resolve_hours = {"urgent": 4.0, "normal": 72.0, "complex": 240.0}.get(urgency, 72.0)

    accept_due = filed + _hours(24)
    accepted = resolved = closed = paused = rated = None
    resolve_due = None
    rating: int | None = None
    reopen = 0
    answer = ""
    outcome = ""
    duplicate_of = None
    if agency is None and age_days < 3:
        status = "submitted"  # still in the operators' triage queue
    elif rng.random() < 0.85 * math.exp(-age_days / 5.0) + 0.01:
        status = rng.choices(tuple(OPEN_WEIGHTS), tuple(OPEN_WEIGHTS.values()))[0]
        if status != "submitted":
            accepted = filed + _hours(min(rng.expovariate(1 / 5.0), age_days * 24 * 0.5))
            resolve_due = accepted + _hours(resolve_hours)
        if status == "waiting":
            paused = accepted + (now - accepted) * rng.random() if accepted else None
        if status == "reopened":
            reopen = 1
    else:
        roll = rng.random()
        late_accept = rng.random() < 0.08
        accepted = filed + _hours(
            rng.uniform(26, 72) if late_accept else min(rng.expovariate(1 / 5.0), 23.0)
        )
        resolve_due = accepted + _hours(resolve_hours)
        if roll < 0.04:
            status, closed = "rejected", accepted
            outcome = "not_competent" if rng.random() < 0.3 else "rejected"
        elif roll < 0.06 and id_ > 1:
            status, closed, outcome = "duplicate", accepted, "duplicate"
            duplicate_of = rng.randrange(max(1, id_ - 500), id_)
        elif roll < 0.09:
            status, outcome = "closed_unfixed", "closed_unfixed"
            closed = accepted + _hours(rng.uniform(24, 400))
        else:
            late = rng.random() < 0.12
            took = resolve_hours * (rng.uniform(1.05, 2.5) if late else rng.uniform(0.05, 0.95))
            resolved = accepted + _hours(took)
            outcome = "resolved"
            answer = ANSWER
            reopen = 1 if rng.random() < 0.05 else 0
            if rng.random() < 0.45:
                rating = rng.choices(tuple(RATING_WEIGHTS), tuple(RATING_WEIGHTS.values()))[0]
                rated = resolved + _hours(rng.uniform(1, 100))
            status = "resolved"
            if resolved + timedelta(days=REOPEN_DAYS) <= now:
                status, closed = "closed", resolved + timedelta(days=REOPEN_DAYS)
        if (closed or resolved or accepted) > now:  # an old-looking end that has not happened
            status, closed, resolved, rating, rated, answer, outcome = (
                "in_progress", None, None, None, None, "", ""
            )  # fmt: skip
    if agency is None:
        accepted = resolve_due = None
    updated = max(t for t in (filed, accepted, resolved, closed, paused, rated) if t is not None)
    updated = min(updated, now)
    rows.reports.append(
        (
            id_, code, category.id, urgency, description, "{}", lat, lon,
            h3_cell(lat, lon), commune.code, address, status, agency, None, channel, None,
            "" if anonymous else "Nguyễn Văn An", "" if anonymous else "0912345678", "",
            anonymous, None, duplicate_of, fmt(filed), fmt(accept_due), fmt(accepted),
            fmt(resolve_due), fmt(resolved), fmt(closed), fmt(paused), reopen, None, None,
            answer, rating, "", fmt(rated), rng.random() < 0.002, False,
            _search_key(description, address), fmt(updated),
        )
    )  # fmt: skip
    if agency is None:
        return
    transferred_from: int | None = None
    if rng.random() < 0.05 and len(world.agency_ids) > 1:
        # Transferred in from another agency within a day: counted in both records.
        transferred_from = rng.choice(world.agency_ids)
        received = filed + _hours(rng.uniform(1, 20))
    else:
        received = filed
    officer = rng.choice(FAKE_OFFICERS) if resolved is not None else None

    def worked(since: datetime) -> int | None:
        # What service.resolve stores (evaluation.record_resolution): working time to resolve.
        if resolved is None:
            return None
        return round(CALENDAR.working_time_between(since, resolved).total_seconds())

    if transferred_from is not None:
        rows.records.append(
            (
                next(record_ids), id_, transferred_from, fmt(filed), fmt(received),
                "transferred", None, None, worked(filed),
            )
        )  # fmt: skip
    left = closed or resolved if outcome else None
    rows.records.append(
        (
            next(record_ids), id_, agency, fmt(received), fmt(left), outcome, fmt(resolved),
            officer, worked(received),
        )
    )  # fmt: skip
    if resolved is not None:
        rows.updates.append(
            (
                next(ids), id_, fmt(resolved), officer, "officer", "status",
                "in_progress", "resolved", agency, None, answer, "", "",
            )
        )  # fmt: skip


# --- writing ------------------------------------------------------------------------------------


class _Writer:
    kind: str

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def fmt(self, value: datetime | None) -> Any:
        raise NotImplementedError

    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def finish(self, counters: dict[int, int], analyze: bool) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class SqliteWriter(_Writer):
    kind = "sqlite"

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        for pragma in (
            "journal_mode=WAL",
            "synchronous=OFF",
            "foreign_keys=OFF",
            "cache_size=-400000",
            "temp_store=MEMORY",
        ):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.execute("BEGIN")

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return list(self.conn.execute(sql))

    def fmt(self, value: datetime | None) -> Any:
        # What SQLAlchemy's SQLite DateTime stores: naive UTC, always with microseconds.
        if value is None:
            return None
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")

    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        marks = ", ".join("?" for _ in columns)
        cols = ", ".join(f'"{c}"' for c in columns)
        self.conn.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)

    def commit(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.execute("BEGIN")

    def finish(self, counters: dict[int, int], analyze: bool) -> None:
        for year, last in counters.items():
            self.conn.execute(
                "INSERT INTO report_counters (year, last) VALUES (?, ?) "
                "ON CONFLICT (year) DO UPDATE SET last = max(last, excluded.last)",
                (year, last),
            )
        self.conn.execute("COMMIT")
        if analyze:
            self.conn.execute("ANALYZE")
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self.conn.close()


class PostgresWriter(_Writer):
    kind = "postgres"

    def __init__(self, conninfo: str) -> None:
        import psycopg

        self.conn = psycopg.connect(conninfo.replace("postgresql+psycopg://", "postgresql://"))

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())

    def fmt(self, value: datetime | None) -> Any:
        return value

    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        cols = ", ".join(f'"{c}"' for c in columns)
        with (
            self.conn.cursor() as cur,
            cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def commit(self) -> None:
        self.conn.commit()

    def finish(self, counters: dict[int, int], analyze: bool) -> None:
        with self.conn.cursor() as cur:
            for year, last in counters.items():
                cur.execute(
                    "INSERT INTO report_counters (year, last) VALUES (%s, %s) ON CONFLICT (year) "
                    "DO UPDATE SET last = greatest(report_counters.last, excluded.last)",
                    (year, last),
                )
            for table in ("reports", "report_updates", "report_agency_records"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )
        self.conn.commit()
        if analyze:
            self.conn.autocommit = True
            self.conn.execute("VACUUM ANALYZE")
            self.conn.autocommit = False

    def close(self) -> None:
        self.conn.close()


@dataclass
class GenStats:
    reports: int
    updates: int
    records: int
    seconds: float
    make_seconds: float  # building rows in Python
    write_seconds: float  # inserting them (indexes maintained as they go)
    finish_seconds: float  # counters, ANALYZE / VACUUM ANALYZE, WAL checkpoint
    first_filed: str
    last_filed: str

    @property
    def reports_per_s(self) -> float:
        return self.reports / self.seconds if self.seconds else 0.0

    @property
    def rows_per_s(self) -> float:
        total = self.reports + self.updates + self.records
        return total / self.seconds if self.seconds else 0.0


def generate(
    writer: _Writer,
    n: int,
    *,
    years: float = 3.0,
    seed: int = 20260101,
    now: datetime | None = None,
    analyze: bool = True,
    progress: Progress = print,
) -> GenStats:
    """Insert `n` reports (and their agency records and resolutions) through `writer`."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    world = load_world(writer.rows)
    first_id = int(writer.rows("SELECT coalesce(max(id), 0) FROM reports")[0][0]) + 1
    counters = {
        int(y): int(last) for y, last in writer.rows("SELECT year, last FROM report_counters")
    }
    next_update = int(writer.rows("SELECT coalesce(max(id), 0) FROM report_updates")[0][0]) + 1
    next_record = (
        int(writer.rows("SELECT coalesce(max(id), 0) FROM report_agency_records")[0][0]) + 1
    )
    update_ids, record_ids = itertools.count(next_update), itertools.count(next_record)
    times = _filing_times(rng, n, now, years)
    make_s = write_s = 0.0
    totals = [0, 0, 0]
    for start in range(0, n, CHUNK):
        t0 = time.perf_counter()
        rows = _Rows()
        for offset, filed in enumerate(times[start : start + CHUNK]):
            year = (filed + LOCAL).year
            counters[year] = counters.get(year, 0) + 1
            _report(
                rng,
                world,
                id_=first_id + start + offset,
                code=f"PA-{year}-{counters[year]:06d}",
                filed=filed,
                now=now,
                rows=rows,
                ids=update_ids,
                record_ids=record_ids,
                fmt=writer.fmt,
            )
        t1 = time.perf_counter()
        writer.write("reports", REPORT_COLUMNS, rows.reports)
        writer.write("report_agency_records", RECORD_COLUMNS, rows.records)
        writer.write("report_updates", UPDATE_COLUMNS, rows.updates)
        writer.commit()
        t2 = time.perf_counter()
        make_s += t1 - t0
        write_s += t2 - t1
        totals[0] += len(rows.reports)
        totals[1] += len(rows.updates)
        totals[2] += len(rows.records)
        elapsed = t2 - started
        progress(
            f"  generated {totals[0]:>10,} reports  {elapsed:6.1f} s  "
            f"{totals[0] / elapsed:8,.0f} reports/s"
        )
    t3 = time.perf_counter()
    writer.finish(counters, analyze)
    finish_s = time.perf_counter() - t3
    return GenStats(
        reports=totals[0],
        updates=totals[1],
        records=totals[2],
        seconds=time.perf_counter() - started,
        make_seconds=make_s,
        write_seconds=write_s,
        finish_seconds=finish_s,
        first_filed=times[0].isoformat() if times else "",
        last_filed=times[-1].isoformat() if times else "",
    )


def open_writer(sqlite_path: Path | None, postgres_url: str | None) -> _Writer:
    if sqlite_path is not None:
        return SqliteWriter(sqlite_path)
    if postgres_url:
        return PostgresWriter(postgres_url)
    raise SystemExit("Give --sqlite PATH or --postgres URL.")


def fill_rollup(sqlite_path: Path | None, postgres_url: str | None) -> tuple[int, float]:
    """Backfill the evaluation roll-up (ioc.reports.rollup, as `ioc reports-rollup` does) of
    the generated database: (days and months built, seconds)."""
    import ioc.modules
    from ioc.db import Base, Database
    from ioc.reports import officer_rollup, rollup
    from ioc.reports.models import ReportAgencyDay, ReportRollupDay

    ioc.modules.installed_modules()
    if sqlite_path is not None:
        url = f"sqlite:///{sqlite_path}"
    else:
        url = str(postgres_url).replace("postgresql://", "postgresql+psycopg://", 1)
    db = Database(url)
    # A no-op once the migration has made them.
    Base.metadata.create_all(
        db.engine, tables=[ReportAgencyDay.__table__, ReportRollupDay.__table__]
    )
    started = time.perf_counter()
    try:
        with db.session() as session:
            built = rollup.refresh(session, limit=None)
            built += officer_rollup.refresh(session, limit=None)
        # Fresh tables without statistics send PostgreSQL's planner astray (seen: 400 ms
        # instead of 124 ms for the year's scorecard).
        with db.engine.connect() as connection:
            for table in (
                "report_agency_days",
                "report_rollup_days",
                "report_officer_days",
                "report_officer_rollup_days",
                "report_officer_marks",
            ):
                connection.exec_driver_sql(f"ANALYZE {table}")
            connection.commit()
    finally:
        db.engine.dispose()
    return built, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--sqlite", type=Path, help="the app's SQLite file (DATA_DIR/ioc.sqlite3)")
    where.add_argument("--postgres", help="postgresql://postgres@127.0.0.1:5432/NAME")
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--no-analyze", action="store_true", help="skip ANALYZE at the end")
    parser.add_argument(
        "--no-rollup", action="store_true", help="skip the evaluation roll-up's backfill"
    )
    args = parser.parse_args(argv)
    if args.postgres and "127.0.0.1" not in args.postgres and "localhost" not in args.postgres:
        parser.error("only a loopback PostgreSQL (127.0.0.1)")
    writer = open_writer(args.sqlite, args.postgres)
    try:
        stats = generate(
            writer, args.reports, years=args.years, seed=args.seed, analyze=not args.no_analyze
        )
    finally:
        writer.close()
    print(
        f"{stats.reports:,} reports, {stats.records:,} agency records, {stats.updates:,} "
        f"updates in {stats.seconds:.1f} s ({stats.reports_per_s:,.0f} reports/s; rows built "
        f"{stats.make_seconds:.1f} s, written {stats.write_seconds:.1f} s, finished "
        f"{stats.finish_seconds:.1f} s)"
    )
    if not args.no_rollup:
        built, seconds = fill_rollup(args.sqlite, args.postgres)
        print(f"evaluation roll-up: {built} days and months built in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
