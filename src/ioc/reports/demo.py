"""A year of synthetic field reports for Thái Nguyên, for the demo (issue 3, "Demo data").

Each report is simulated from filing to its last step with the same rules the service applies
(lifecycle.py, deadlines.py, history.py: routing at filing, a fresh accept deadline on each
transfer, the resolve deadline from acceptance, reset on reopen, moved by a pause, closing by
the job 7 days after the answer), then cut at `now`: whatever would happen later has not
happened, so the last weeks are still open and some reports are overdue. Rows go in with bulk
inserts, so 3,000 reports take seconds, not minutes; every row is marked `is_demo`.

Figures aimed at (DOMAIN.md: ~1,000 app reports a year, traffic the largest category at 22.7%):
roads and traffic ~23% of reports; most accepted in time; ~10–15% of answers late; ~5%
reopened; ~3% closed without a fix; ~3% rejected; ~2% duplicates; ~6% transferred.
There is no population in the unit data, so communes are weighted by the square root of their
area, and wards (phường) four times more: dense towns file far more reports per km².
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import exists, insert, select, update
from sqlalchemy.orm import Session

from ioc.areas import units
from ioc.areas.models import Agency, Area
from ioc.db import utcnow
from ioc.kit.auth import RoleAssignment, User
from ioc.kit.geo import NearestIndex, h3_cell
from ioc.kit.text import search_key
from ioc.kit.workdays import VIETNAM_TZ, WorkCalendar, public_holidays
from ioc.reports import deadlines as dl
from ioc.reports import lifecycle as lc
from ioc.reports.categories_data import COMMUNE, by_code
from ioc.reports.evaluation import NOT_COMPETENT
from ioc.reports.history import REOPEN_DAYS
from ioc.reports.models import (
    Category,
    Report,
    ReportAgencyRecord,
    ReportCounter,
    ReportUpdate,
    RoutingRule,
)
from ioc.reports.routing import commune_agency_code, province_shape
from ioc.reports.seed import URBAN_WORKS_DISTRICT, seed_categories

Progress = Callable[[str, int, int], None]

BATCH = 1000
CLOSE_JOB = "No reopen request within the time allowed."  # jobs.auto_close's own reason
# The share of reports per channel: the app dominates (C-ThaiNguyen), hotline calls are typed
# in by operators.
CHANNEL_WEIGHTS = {"app": 70, "web": 8, "hotline": 10, "console": 4, "open311": 5, "api": 3}
# Local hour of filing 0–23: people report while awake, most in the morning and after work.
HOUR_WEIGHTS = (
    0.3,
    0.2,
    0.1,
    0.1,
    0.2,
    0.6,
    2,
    5,
    8,
    9,
    9,
    7,
    4,
    4,
    7,
    8,
    8,
    7,
    6,
    7,
    6,
    4,
    2,
    0.8,
)
WEEKDAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 0.95, 0.65, 0.55)
# What towns and the countryside report more of; season: floods in the rainy months, dengue
# after them, power cuts in the summer peak.
URBAN_BIAS = {
    "urban.encroachment": 2.0,
    "env.noise": 1.5,
    "waste.uncollected": 1.4,
    "light.street_out": 1.3,
    "urban.advertising": 2.0,
}
RURAL_BIAS = {
    "land.dispute": 1.8,
    "land.illegal_use": 1.8,
    "waste.illegal_dumping": 1.3,
    "power.outage": 1.3,
    "env.pollution": 1.2,
}
SEASONS: dict[str, Callable[[int], float]] = {
    "water.flooding": lambda month: 2.5 if 5 <= month <= 9 else 0.4,
    "health.disease": lambda month: 2.0 if 7 <= month <= 10 else 0.6,
    "power.outage": lambda month: 1.5 if 5 <= month <= 8 else 0.8,
}
# A report filed with the wrong agency first: who plausibly gets it.
WRONG_FIRST = {
    "roads": "SXD",
    "lighting": "PCTN",
    "environment": "SNNMT",
    "water": "NUOC",
    "electricity": "PCTN",
    "urban": "SXD",
    "security": "CAT",
    "land": "SNNMT",
    "health": "SYT",
    "education": "SGDDT",
    "other": "VP-UBND",
}


def _noop(_label: str, _done: int, _total: int) -> None:
    return None


@dataclass(frozen=True)
class _Commune:
    code: str
    name: str  # "Phường Phan Đình Phùng"
    is_ward: bool
    lat: float
    lon: float
    radius_km: float
    hamlet_word: str  # "xóm" in the former Thái Nguyên, "thôn" in the former Bắc Kạn
    city: bool  # a ward of the former Thái Nguyên city


@dataclass(frozen=True)
class _Category:
    id: int
    code: str
    group: str
    default_urgency: str
    allow_anonymous: bool
    attributes: list[dict[str, Any]]
    weight: float


@dataclass
class _Step:
    """One thing that happens to a report: its timeline row, the report's fields it changes,
    and what it does to the agencies' books."""

    at: datetime
    update: dict[str, Any] | None
    changes: dict[str, Any]
    opens: str | None = None  # agency code receiving the report
    ends: str | None = None  # outcome of the current agency record


@dataclass
class _Sim:
    commune: _Commune
    category: _Category
    case: int  # which of the category's texts: the answer matches the problem
    report: dict[str, Any]
    steps: list[_Step] = field(default_factory=list)
    duplicate_of: int | None = None  # index of the original in the generated list


class _World:
    """What the simulation reads: calendar, communes, categories, routes, officers."""

    def __init__(self, session: Session, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.cal: WorkCalendar = dl.calendar(session)
        self.session = session
        self.agencies = {a.code: a for a in session.scalars(select(Agency))}
        self.agency_ids = {code: a.id for code, a in self.agencies.items()}
        self.communes = self._communes(session)
        self.index = NearestIndex((c.code, c.lat, c.lon) for c in self.communes)
        self.commune_weights = [_commune_weight(c) for c in self.communes]
        self.categories = self._categories(session)
        total = sum(c.weight for c in self.categories)
        self.roads_share = (
            sum(c.weight for c in self.categories if c.group == "roads") / total if total else 0
        )
        self.rules: dict[int, dict[str | None, str]] = defaultdict(dict)
        for rule in session.scalars(select(RoutingRule)):
            self.rules[rule.category_id][rule.area_code] = rule.target
        self.policies: dict[tuple[int, str], dl.Policy] = {}
        self.officers: dict[str, list[int]] = {}
        self.operator_id: int | None = None

    @staticmethod
    def _communes(session: Session) -> list[_Commune]:
        present = set(session.scalars(select(Area.code).where(Area.kind != "province")))
        out = []
        for unit in units.load_communes():
            if unit.code not in present:
                continue
            provinces = {old.province_code for old in unit.legacy}
            out.append(_Commune(
                code=unit.code, name=unit.name, is_ward=unit.kind == "phường",
                lat=unit.lat, lon=unit.lon,
                radius_km=math.sqrt(unit.area_km2 / math.pi),
                hamlet_word="thôn" if provinces == {"06"} else "xóm",
                city=bool(unit.legacy)
                and all(old.district_code == URBAN_WORKS_DISTRICT for old in unit.legacy),
            ))  # fmt: skip
        return out

    @staticmethod
    def _categories(session: Session) -> list[_Category]:
        specs = by_code()
        return [
            _Category(
                id=c.id,
                code=c.code,
                group=c.group,
                default_urgency=c.default_urgency,
                allow_anonymous=c.allow_anonymous,
                attributes=list(c.attributes or []),
                weight=specs[c.code].demo_weight if c.code in specs else 1.0,
            )
            for c in session.scalars(
                select(Category).where(Category.is_active.is_(True)).order_by(Category.id)
            )
        ]

    def policy(self, category: _Category, urgency: str) -> dl.Policy:
        key = (category.id, urgency)
        if key not in self.policies:
            self.policies[key] = dl.policy_for(
                self.session, category_id=category.id, urgency=urgency
            )
        return self.policies[key]

    def route(self, category: _Category, commune: _Commune) -> str | None:
        """The agency code the rules give (routing.route, without a query per report)."""
        rules = self.rules.get(category.id, {})
        target = rules.get(commune.code, rules.get(None))
        if target is None:
            return None
        code = commune_agency_code(commune.code) if target == COMMUNE else target
        agency = self.agencies.get(code)
        return code if agency is not None and agency.is_active else None

    def display_name(self, code: str) -> str:
        agency = self.agencies[code]
        if agency.kind == "commune_committee" and agency.seat_area_code:
            # "UBND xã Phú Lạc": the unit's type word is lowercase inside a name.
            area = next((c for c in self.communes if c.code == agency.seat_area_code), None)
            if area is not None:
                return f"UBND {_lower_type(area.name)}"
        return agency.short_name or agency.name

    def officer(self, agency_code: str) -> int | None:
        people = self.officers.get(agency_code)
        return self.rng.choice(people) if people else None

    def work(self, start: datetime, hours: float) -> datetime:
        return self.cal.add_working_hours(start, timedelta(hours=max(hours, 0.02)))

    def budget_hours(self, amount: dl.Amount) -> float:
        day = self.cal.day_length.total_seconds() / 3600
        return amount.value * (day if amount.unit == "days" else 1.0)


# --- the public entry point ------------------------------------------------------------------


def seed_demo_reports(
    session: Session,
    *,
    progress: Progress = _noop,
    count: int = 3000,
    seed: int = 2026,
    now: datetime | None = None,
) -> int:
    """Generate a year of demo reports ending at `now`; returns how many were made.

    Idempotent: nothing is done if any demo report exists. Needs the areas and agencies (the
    areas module's seed); loads the category catalogue itself if it is missing."""
    if session.scalar(select(exists().where(Report.is_demo.is_(True)))):
        return 0
    now = (now or utcnow()).astimezone(UTC)
    seed_categories(session)
    rng = random.Random(seed)
    world = _World(session, rng, now)
    if not world.communes or not world.categories:
        raise RuntimeError("Seed the areas and agencies before the demo reports.")
    world.officers = _demo_officers(session, world)
    world.operator_id = session.scalar(
        select(RoleAssignment.user_id).where(RoleAssignment.role == "operator").limit(1)
    )
    times = _filing_times(rng, now, count)
    codes = _take_codes(session, times)
    sims: list[_Sim] = []
    for i, (filed, code) in enumerate(zip(times, codes, strict=True)):
        sims.append(_simulate(world, i, filed, code, sims))
        if (i + 1) % 250 == 0 or i + 1 == count:
            progress("demo reports", i + 1, count)
    _insert(session, sims, now, progress, world.cal)
    from ioc.reports import officer_rollup, rollup

    rollup.refresh(session, now=now, calendar=world.cal, limit=None)
    officer_rollup.refresh(session, now=now, limit=None)
    return len(sims)


# --- filing: when, where, what ---------------------------------------------------------------


def _filing_times(rng: random.Random, now: datetime, count: int) -> list[datetime]:
    today = now.astimezone(VIETNAM_TZ).date()
    days = [today - timedelta(days=n) for n in range(365, -1, -1)]
    holidays = public_holidays(today.year) | public_holidays(today.year - 1)
    weights = [WEEKDAY_WEIGHTS[d.weekday()] * (0.6 if d in holidays else 1.0) for d in days]
    hours = list(range(24))
    out: list[datetime] = []
    while len(out) < count:
        day: date = rng.choices(days, weights)[0]
        hour = rng.choices(hours, HOUR_WEIGHTS)[0]
        local = datetime(
            day.year,
            day.month,
            day.day,
            hour,
            rng.randrange(60),
            rng.randrange(60),
            tzinfo=VIETNAM_TZ,
        )
        filed = local.astimezone(UTC)
        if now - timedelta(days=365) <= filed < now:
            out.append(filed)
    return sorted(out)


def _take_codes(session: Session, times: Sequence[datetime]) -> list[str]:
    """Public codes PA-<year>-<n> in filing order, continuing each year's counter and moving
    it on, so reports filed after the demo continue the sequence."""
    years = [t.astimezone(VIETNAM_TZ).year for t in times]
    counts: dict[int, int] = defaultdict(int)
    for year in years:
        counts[year] += 1
    last: dict[int, int] = {}
    for year, n in counts.items():
        row = session.scalar(
            select(ReportCounter).where(ReportCounter.year == year).with_for_update()
        )
        if row is None:
            session.add(ReportCounter(year=year, last=n))
            last[year] = 0
        else:
            last[year] = row.last
            row.last = row.last + n
    session.flush()
    codes = []
    for year in years:
        last[year] += 1
        codes.append(f"PA-{year}-{last[year]:06d}")
    return codes


def _commune_weight(c: _Commune) -> float:
    return math.sqrt(c.radius_km**2 * math.pi) * (4.0 if c.is_ward else 1.0)


def _pick_category(world: _World, commune: _Commune, month: int) -> _Category:
    weights = []
    bias = URBAN_BIAS if commune.is_ward else RURAL_BIAS
    for cat in world.categories:
        season = SEASONS.get(cat.code)
        weights.append(cat.weight * (season(month) if season else 1.0) * bias.get(cat.code, 1.0))
    # Biases and seasons move weight between categories; roads and traffic are then scaled
    # back to their catalogue share (~23%, DOMAIN.md: traffic the largest category, 22.7%).
    roads = sum(w for w, c in zip(weights, world.categories, strict=True) if c.group == "roads")
    rest = sum(weights) - roads
    if roads and rest and 0 < world.roads_share < 1:
        scale = world.roads_share / (1 - world.roads_share) * rest / roads
        weights = [
            w * scale if c.group == "roads" else w
            for w, c in zip(weights, world.categories, strict=True)
        ]
    return world.rng.choices(world.categories, weights)[0]


def _place(world: _World, commune: _Commune) -> tuple[float, float]:
    """A point near the commune's centre, inside the province, and nearest to this commune's
    centre (as intake assigns communes), else the centre itself."""
    rng = world.rng
    shape = province_shape()
    reach = commune.radius_km * (0.6 if commune.is_ward else 0.8)
    for _ in range(30):
        distance = reach * math.sqrt(rng.random())
        angle = rng.random() * 2 * math.pi
        lat = commune.lat + distance * math.cos(angle) / 111.32
        lon = commune.lon + distance * math.sin(angle) / (
            111.32 * math.cos(math.radians(commune.lat))
        )
        if shape.contains(lat, lon) and world.index.nearest(lat, lon) == commune.code:
            return round(lat, 6), round(lon, 6)
    return commune.lat, commune.lon


def _lower_type(name: str) -> str:
    return name[0].lower() + name[1:]


def _upper_first(text: str) -> str:
    # Not str.capitalize(): it would lowercase the proper names that follow.
    return text[0].upper() + text[1:]


def _where(world: _World, commune: _Commune, *, street: bool) -> tuple[str, str]:
    """A location phrase for the description and a short address: along a street for road
    matters, at a site (a house, a hamlet) for the others."""
    rng = world.rng
    unit = _lower_type(commune.name)
    n = rng.randint(2, 480)
    options: tuple[tuple[str, str], ...]
    if commune.is_ward:
        name = rng.choice(CITY_STREETS if commune.city else TOWN_STREETS)
        house = (f"ở số nhà {n} đường {name}, {unit}", f"Số {n} đường {name}")
        lane = (f"ở ngõ {n % 60 + 1} đường {name}, {unit}", f"Ngõ {n % 60 + 1} đường {name}")
        group = n % 40 + 1
        if street:
            options = (
                (f"đoạn trước số nhà {n} đường {name}, {unit}", f"Số {n} đường {name}"),
                lane,
                (f"khu vực {rng.choice(URBAN_LANDMARKS)} trên đường {name}, {unit}",
                 f"Đường {name}"),
            )  # fmt: skip
        else:
            options = (house, lane, (f"ở tổ dân phố số {group}, {unit}", f"Tổ {group}"))
    else:
        hamlet = f"{commune.hamlet_word} {rng.choice(HAMLETS)}"
        at_hamlet = (f"ở {hamlet}, {unit}", _upper_first(hamlet))
        if street:
            road = rng.choice(RURAL_ROADS)
            options = (
                at_hamlet,
                (f"đoạn {road} qua {hamlet}, {unit}", f"{_upper_first(road)}, {hamlet}"),
                (f"khu vực {rng.choice(RURAL_LANDMARKS)} {hamlet}, {unit}",
                 _upper_first(hamlet)),
            )  # fmt: skip
        else:
            options = (at_hamlet, (f"tại {hamlet}, {unit}", _upper_first(hamlet)))
    phrase, spot = rng.choice(options)
    return phrase, f"{spot}, {commune.name}"


def _texts(category: _Category) -> _Texts:
    return CATEGORY_TEXTS.get(category.code, CATEGORY_TEXTS["other.general"])


def _description(world: _World, category: _Category, phrase: str, case: int) -> str:
    rng = world.rng
    texts = _texts(category)
    problem = texts.cases[case][0].format(place=phrase)
    opening = rng.choice(OPENINGS)
    if opening.endswith(": "):
        problem = problem[0].lower() + problem[1:]
    # The detail is written for its case ("cars parked on the road" → "one lane left").
    parts = [f"{opening}{problem}.", texts.details[case], rng.choice(REQUESTS)]
    return " ".join(p for p in parts if p)


def _attributes(world: _World, category: _Category) -> dict[str, Any]:
    rng = world.rng
    out: dict[str, Any] = {}
    for spec in category.attributes:
        keys = [str(v["key"]) for v in spec.get("values") or []]
        if not keys or not (spec.get("required") or rng.random() < 0.6):
            continue
        if spec.get("datatype") == "multivaluelist":
            out[spec["code"]] = rng.sample(keys, rng.randint(1, min(2, len(keys))))
        elif keys == ["yes", "no"]:
            out[spec["code"]] = "yes" if rng.random() < 0.08 else "no"
        else:
            out[spec["code"]] = rng.choice(keys)
    return out


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY_NAMES)} {rng.choice(MIDDLE_NAMES)} {rng.choice(GIVEN_NAMES)}"


# --- handling --------------------------------------------------------------------------------


def _update(
    kind: str,
    before: str | None,
    after: str | None,
    *,
    actor: int | None,
    role: str,
    agency: int | None,
    to_agency: int | None = None,
    public_text: str = "",
    reason: str = "",
    note: str = "",
) -> dict[str, Any]:
    # Every row has every key, so that the bulk insert sends them in one statement.
    return {
        "actor_id": actor, "actor_role": role, "kind": kind, "from_status": before,
        "to_status": after, "agency_id": agency, "to_agency_id": to_agency,
        "public_text": public_text, "internal_note": note, "reason": reason,
    }  # fmt: skip


def _fraction(rng: random.Random, late: bool, *, low: float = 1.05, high: float = 2.2) -> float:
    """Share of the allowed working time used: late answers overrun it, the others mostly
    finish well inside it."""
    if late:
        return rng.uniform(low, high)
    return max(0.03, min(0.97, rng.betavariate(1.6, 2.6)))


def _simulate(world: _World, index: int, filed: datetime, code: str, sims: list[_Sim]) -> _Sim:
    rng, cal = world.rng, world.cal
    original = _original(world, filed, sims) if rng.random() < 0.025 else None
    if original is not None:
        # A second person reports what someone reported days ago, from about the same spot.
        first = sims[original]
        commune, category, case = first.commune, first.category, first.case
        lat, lon = _near(world, commune, first.report["lat"], first.report["lon"])
        urgency = first.report["urgency"]
    else:
        commune = rng.choices(world.communes, world.commune_weights)[0]
        category = _pick_category(world, commune, filed.astimezone(VIETNAM_TZ).month)
        case = rng.randrange(len(_texts(category).cases))
        lat, lon = _place(world, commune)
        urgency = category.default_urgency
        if urgency == "normal" and rng.random() < 0.05:
            urgency = "urgent"
    phrase, address = _where(world, commune, street=_texts(category).street)
    description = _description(world, category, phrase, case)
    channel = rng.choices(list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values()))[0]
    anonymous = category.allow_anonymous and rng.random() < 0.15
    sim = _Sim(commune=commune, category=category, case=case, report={
        "code": code, "category_id": category.id, "urgency": urgency,
        "description": description, "attributes": _attributes(world, category),
        "lat": lat, "lon": lon, "h3_cell": h3_cell(lat, lon), "area_code": commune.code,
        "address": address, "channel": channel, "reporter_user_id": None,
        "reporter_name": "" if anonymous else _person(rng), "reporter_phone": "",
        # example.com is reserved for examples (RFC 2606): no real person gets demo mail.
        "reporter_email": "" if anonymous else f"nguoidan{index + 1}@example.com",
        "anonymous": anonymous, "submitted_at": filed, "is_demo": True,
        "search_key": search_key(description, address),
    })  # fmt: skip
    staff_channel = channel in ("hotline", "console")
    policy = world.policy(category, urgency)
    accept_h = world.budget_hours(policy.accept)
    resolve_h = world.budget_hours(policy.resolve)
    steps = sim.steps
    steps.append(_Step(filed, _update(
        "status", None, lc.SUBMITTED, actor=world.operator_id if staff_channel else None,
        role="operator" if staff_channel else "public", agency=None,
    ), {"status": lc.SUBMITTED}))  # fmt: skip

    def hand(at: datetime, agency: str) -> dict[str, Any]:
        # history.hand_to: a fresh accept deadline for the agency that now holds it.
        return {"agency_id": world.agency_ids[agency], "accept_due_at": dl.add(
            cal, at, policy.accept), "accepted_at": None, "resolve_due_at": None,
            "assignee_id": None}  # fmt: skip

    target = world.route(category, commune)
    if target is None:
        # The triage queue, watched around the clock: an operator routes it within the hour.
        target = commune_agency_code(commune.code)
        received = filed + timedelta(minutes=rng.uniform(5, 60))
        steps.append(_Step(received, _update(
            "transfer", lc.SUBMITTED, lc.SUBMITTED, actor=world.operator_id, role="operator",
            agency=None, to_agency=world.agency_ids[target],
            reason="Chuyển đến địa phương nơi phát sinh sự việc.",
        ), hand(received, target), opens=target))  # fmt: skip
    elif original is None and rng.random() < 0.06:
        # Filed with the wrong agency first, which passes it on (counted in both books).
        wrong = WRONG_FIRST.get(category.group, "VP-UBND")
        if wrong == target or wrong not in world.agency_ids:
            wrong = commune_agency_code(commune.code)
        steps[-1].changes |= hand(filed, wrong)
        steps[-1].opens = wrong
        received = world.work(filed, rng.uniform(0.3, 0.9) * accept_h)
        steps.append(_Step(received, _update(
            "transfer", lc.SUBMITTED, lc.SUBMITTED, actor=world.officer(wrong), role="officer",
            agency=world.agency_ids[wrong], to_agency=world.agency_ids[target],
            reason=f"Nội dung thuộc thẩm quyền giải quyết của {world.display_name(target)}.",
        ), hand(received, target), opens=target, ends="transferred"))  # fmt: skip
    else:
        steps[-1].changes |= hand(filed, target)
        steps[-1].opens = target
        received = filed
    agency_id = world.agency_ids[target]
    officer = world.officer(target)

    def act(
        at: datetime, kind: str, before: str, after: str, changes: dict[str, Any], **text: Any
    ) -> None:
        ends = text.pop("ends", None)
        steps.append(_Step(at, _update(kind, before, after, actor=officer, role="officer",
                                       agency=agency_id, **text),
                           {"status": after, **changes}, ends=ends))  # fmt: skip

    if original is not None:
        at = world.work(received, rng.uniform(0.1, 0.8) * accept_h)
        if _status_at(sims[original], at) in lc.OPEN:  # service.mark_duplicate's rule
            sim.duplicate_of = original
            act(
                at,
                "status",
                lc.SUBMITTED,
                lc.DUPLICATE,
                {"closed_at": at},
                public_text=sims[original].report["code"],
                ends="duplicate",
            )
            return sim
    roll = rng.random()
    if roll < 0.005:
        return sim  # never taken on: overdue in the agency's inbox, as happens
    if roll < 0.035:
        at = world.work(received, rng.uniform(0.2, 1.0) * accept_h)
        not_competent = rng.random() < 0.35
        reason = rng.choice(NOT_COMPETENT_REASONS if not_competent else REJECT_REASONS)
        act(
            at,
            "status",
            lc.SUBMITTED,
            lc.REJECTED,
            {"closed_at": at},
            reason=reason,
            ends=NOT_COMPETENT if not_competent else "rejected",
        )
        return sim
    accepted = world.work(received, _fraction(rng, rng.random() < 0.10, high=2.5) * accept_h)
    due = dl.add(cal, accepted, policy.resolve)
    act(
        accepted,
        "status",
        lc.SUBMITTED,
        lc.ACCEPTED,
        {"accepted_at": accepted, "resolve_due_at": due, "assignee_id": officer},
    )
    roll = rng.random()
    stalled = roll < 0.03  # answered, but weeks late
    late = not stalled and rng.random() < 0.10
    work_h = (rng.uniform(3, 20) if stalled else _fraction(rng, late)) * resolve_h
    started = world.work(accepted, min(0.25 * work_h, rng.uniform(0.1, 2.0)))
    act(started, "status", lc.ACCEPTED, lc.IN_PROGRESS, {})
    if stalled:
        return _finish(
            world, sim, act, policy, accepted, due, work_h, late=True, case=case, target=target
        )
    if roll < 0.045:
        return sim  # left in progress: overdue for months, the case escalation exists for
    if roll < 0.075:
        at = world.work(accepted, rng.uniform(0.4, 1.1) * resolve_h)
        act(
            at,
            "status",
            lc.IN_PROGRESS,
            lc.CLOSED_UNFIXED,
            {"closed_at": at},
            reason=rng.choice(CLOSED_UNFIXED_REASONS),
            ends="closed_unfixed",
        )
        return sim
    return _finish(
        world, sim, act, policy, accepted, due, work_h, late=late, case=case, target=target
    )


def _finish(
    world: _World,
    sim: _Sim,
    act: Callable[..., None],
    policy: dl.Policy,
    accepted: datetime,
    due: datetime,
    work_h: float,
    *,
    late: bool,
    case: int,
    target: str,
) -> _Sim:
    """From work under way to the answer, maybe a reopen, a rating and the closing."""
    rng, cal = world.rng, world.cal
    agency_id = world.agency_ids[target]
    name = world.display_name(target)
    resolve_h = world.budget_hours(policy.resolve)
    if rng.random() < 0.04:
        # Waiting for the citizen stops the clock; the deadline moves by the time paused.
        paused = world.work(accepted, 0.5 * work_h)
        resumed = paused + timedelta(hours=rng.uniform(3, 72))
        held = cal.working_time_between(paused, resumed)
        due = cal.extend_for_pause(due, paused, resumed)
        act(
            paused,
            "info",
            lc.IN_PROGRESS,
            lc.WAITING,
            {"paused_at": paused},
            public_text=rng.choice(WAITING_QUESTIONS),
        )
        act(
            resumed,
            "info",
            lc.WAITING,
            lc.IN_PROGRESS,
            {"paused_at": None, "resolve_due_at": due},
            public_text=rng.choice(WAITING_REPLIES),
        )
        work_h += held.total_seconds() / 3600
    resolved = world.work(accepted, work_h)
    answer = _answer(world, sim.category, case, name, resolved)
    act(
        resolved,
        "answer",
        lc.IN_PROGRESS,
        lc.RESOLVED,
        {"resolved_at": resolved, "public_answer": answer},
        public_text=answer,
        ends="resolved",
    )
    reopened = rng.random() < 0.055
    if reopened:
        # The citizen says "not fixed" within the reopen window: a new resolve deadline.
        at = resolved + timedelta(hours=rng.uniform(8, 24 * (REOPEN_DAYS - 2)))
        sim.steps.append(_Step(at, _update(
            "status", lc.RESOLVED, lc.REOPENED, actor=None, role="citizen", agency=agency_id,
            reason=rng.choice(REOPEN_REASONS),
        ), {"status": lc.REOPENED, "reopen_count": 1, "resolved_at": None,
            "resolve_due_at": dl.add(cal, at, policy.resolve)}, ends="reopened"))  # fmt: skip
        late = rng.random() < 0.25
        again_h = _fraction(rng, late, high=1.8) * resolve_h
        # Work restarts before the new answer, however quick that answer is.
        restart = world.work(at, min(0.25 * again_h, rng.uniform(0.2, 3)))
        act(restart, "status", lc.REOPENED, lc.IN_PROGRESS, {})
        resolved = world.work(at, again_h)
        answer = _answer(world, sim.category, case, name, resolved)
        act(
            resolved,
            "answer",
            lc.IN_PROGRESS,
            lc.RESOLVED,
            {"resolved_at": resolved, "public_answer": answer},
            public_text=answer,
            ends="resolved",
        )
    if rng.random() < 0.75:
        rating = _rating(rng, late=late, reopened=reopened)
        comment = rng.choice(RATING_COMMENTS[rating])
        at = resolved + timedelta(hours=rng.uniform(1, 24 * (REOPEN_DAYS - 1)))
        sim.steps.append(_Step(at, _update(
            "rating", None, None, actor=None, role="citizen", agency=agency_id,
            public_text=comment,
        ), {"rating": rating, "rating_comment": comment, "rated_at": at}))  # fmt: skip
    # jobs.auto_close runs every few minutes once the reopen window has passed.
    closed = resolved + timedelta(days=REOPEN_DAYS, minutes=rng.uniform(0, 5))
    sim.steps.append(_Step(closed, _update(
        "status", lc.RESOLVED, lc.CLOSED, actor=None, role="system", agency=agency_id,
        reason=CLOSE_JOB,
    ), {"status": lc.CLOSED, "closed_at": closed}))  # fmt: skip
    return sim


def _status_at(sim: _Sim, at: datetime) -> str:
    status = lc.SUBMITTED
    for step in sim.steps:
        if step.at > at:
            break
        status = step.changes.get("status", status)
    return status


def _original(world: _World, filed: datetime, sims: list[_Sim]) -> int | None:
    """A report filed in the last 30 days (issue 3's duplicate window) and still open."""
    candidates = []
    for i in range(len(sims) - 1, -1, -1):
        other = sims[i]
        if filed - other.report["submitted_at"] > timedelta(days=30):
            break
        if other.duplicate_of is None and _status_at(other, filed) in lc.OPEN:
            candidates.append(i)
    return world.rng.choice(candidates) if candidates else None


def _near(world: _World, commune: _Commune, lat: float, lon: float) -> tuple[float, float]:
    """A point within ~80 m of (lat, lon), still in the province and the same commune."""
    rng = world.rng
    for _ in range(10):
        dlat = rng.uniform(-0.0007, 0.0007)
        dlon = rng.uniform(-0.0007, 0.0007)
        p, q = round(lat + dlat, 6), round(lon + dlon, 6)
        if province_shape().contains(p, q) and world.index.nearest(p, q) == commune.code:
            return p, q
    return lat, lon


def _answer(world: _World, category: _Category, case: int, agency: str, when: datetime) -> str:
    rng = world.rng
    day = when.astimezone(VIETNAM_TZ).strftime("%d/%m/%Y")
    return " ".join((
        rng.choice(ANSWER_INTROS).format(agency=agency),
        _texts(category).cases[case][1],
        rng.choice(ANSWER_CLOSINGS).format(date=day),
    ))  # fmt: skip


def _rating(rng: random.Random, *, late: bool, reopened: bool) -> int:
    if reopened:
        weights = (15, 20, 25, 25, 15)
    elif late:
        weights = (13, 15, 20, 30, 22)
    else:
        weights = (4, 5, 9, 30, 52)
    return rng.choices((1, 2, 3, 4, 5), weights)[0]


# --- officers --------------------------------------------------------------------------------


def _demo_officers(session: Session, world: _World) -> dict[str, list[int]]:
    """Demo officer accounts (no password: they cannot sign in) so that the officer table of
    the evaluation has names: two per provincial agency, one per commune. The demo sign-in
    officer (canbo@demo.ioc.vn, of SXD) is used too when it exists."""
    wanted: list[tuple[str, str]] = []
    for code, agency in world.agencies.items():
        if not agency.is_active or code == "IOC":
            continue
        per = 1 if agency.kind == "commune_committee" else 2
        wanted += [(code, f"canbo{n}.{code.lower()}@demo.ioc.vn") for n in range(1, per + 1)]
    existing: dict[str, int] = {
        str(email): uid
        for email, uid in session.execute(
            select(User.email, User.id).where(User.email.in_([e for _, e in wanted]))
        ).tuples()
    }
    rng = random.Random(7)
    new = [(code, email) for code, email in wanted if email not in existing]
    if new:
        ids = session.scalars(
            insert(User).returning(User.id, sort_by_parameter_order=True),
            [{"email": email, "full_name": _person(rng), "is_demo": True} for _, email in new],
        ).all()
        session.execute(insert(RoleAssignment), [
            {"user_id": uid, "role": "officer", "scope_type": "agency", "scope_ref": code}
            for (code, _), uid in zip(new, ids, strict=True)
        ])  # fmt: skip
        existing.update({email: uid for (_, email), uid in zip(new, ids, strict=True)})
    officers: dict[str, list[int]] = defaultdict(list)
    for code, email in wanted:
        officers[code].append(existing[email])
    sign_in = session.scalar(select(User.id).where(User.email == "canbo@demo.ioc.vn"))
    if sign_in is not None:
        officers["SXD"].append(sign_in)
    return officers


# --- writing ---------------------------------------------------------------------------------


def _bulk(model: type[ReportUpdate] | type[ReportAgencyRecord]) -> Any:
    # The ORM splits a bulk insert into one statement per pattern of None values unless told
    # to send NULLs as values; with it, each table goes in a few multi-row statements.
    return insert(model).execution_options(render_nulls=True)


def _insert(
    session: Session, sims: list[_Sim], now: datetime, progress: Progress, cal: WorkCalendar
) -> None:
    """Play each report's steps up to `now`, then write reports, timelines and books."""
    report_rows: list[dict[str, Any]] = []
    plays: list[tuple[list[dict[str, Any]], list[dict[str, Any]]]] = []
    for sim in sims:
        report, updates, records = _play(sim, now, cal)
        report_rows.append(report)
        plays.append((updates, records))
    ids: list[int] = []
    for start in range(0, len(report_rows), BATCH):
        ids += session.scalars(
            insert(Report)
            .returning(Report.id, sort_by_parameter_order=True)
            .execution_options(render_nulls=True),
            report_rows[start : start + BATCH],
        ).all()
        progress("demo rows", min(start + BATCH, len(report_rows)), len(report_rows))
    update_rows: list[dict[str, Any]] = []
    record_rows: list[dict[str, Any]] = []
    for report_id, (updates, records) in zip(ids, plays, strict=True):
        update_rows += [{"report_id": report_id, **u} for u in updates]
        record_rows += [{"report_id": report_id, **r} for r in records]
    for start in range(0, len(update_rows), BATCH * 5):
        session.execute(_bulk(ReportUpdate), update_rows[start : start + BATCH * 5])
    for start in range(0, len(record_rows), BATCH * 5):
        session.execute(_bulk(ReportAgencyRecord), record_rows[start : start + BATCH * 5])
    duplicates = [
        {"id": ids[i], "duplicate_of_id": ids[sim.duplicate_of]}
        for i, sim in enumerate(sims)
        if sim.duplicate_of is not None and sim.report["status"] == lc.DUPLICATE
    ]
    if duplicates:
        session.execute(update(Report), duplicates)
    session.flush()


_REPORT_STATE = {
    "status": lc.SUBMITTED, "agency_id": None, "assignee_id": None, "accept_due_at": None,
    "accepted_at": None, "resolve_due_at": None, "resolved_at": None, "closed_at": None,
    "paused_at": None, "reopen_count": 0, "public_answer": "", "rating": None,
    "rating_comment": "", "rated_at": None,
}  # fmt: skip


def _play(
    sim: _Sim, now: datetime, cal: WorkCalendar
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    state = dict(_REPORT_STATE)
    updates: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    last = sim.report["submitted_at"]
    for step in sorted(sim.steps, key=lambda s: s.at):
        if step.at > now:
            break
        state.update(step.changes)
        last = step.at
        if step.update is not None:
            updates.append({"at": step.at, **step.update})
        if step.ends is not None and records:
            records[-1]["outcome"] = step.ends
            records[-1]["left_at"] = None if step.ends == "reopened" else step.at
        if step.ends == "resolved" and step.update is not None:
            # What service.resolve stores (evaluation.record_resolution).
            for record in records:
                worked = cal.working_time_between(record["received_at"], step.at)
                current = record is records[-1]
                record["resolve_working_seconds"] = round(worked.total_seconds())
                record["resolved_at"] = step.at if current else None
                record["resolver_id"] = step.update["actor_id"] if current else None
        if step.opens is not None:
            records.append(
                {
                    "agency_id": state["agency_id"],
                    "received_at": step.at,
                    "left_at": None,
                    "outcome": "",
                    "resolved_at": None,
                    "resolver_id": None,
                    "resolve_working_seconds": None,
                }
            )
    sim.report.update(state)
    sim.report["updated_at"] = last
    return sim.report, updates, records


# --- texts -----------------------------------------------------------------------------------
# Written as people in the province write: a problem with its place, a consequence, a request;
# answers in the formal register of agencies. {place} is a location phrase ("đoạn trước số nhà
# 12 đường Quang Trung, phường Phan Đình Phùng"), so each problem reads as "<thing> {place}".


@dataclass(frozen=True)
class _Texts:
    cases: tuple[tuple[str, str], ...]  # (problem, the agency's action when it is fixed)
    details: tuple[str, ...]  # one per case, in the same order
    street: bool = True  # placed along a street ("đoạn trước số nhà 12 đường …"), else a site


CATEGORY_TEXTS: dict[str, _Texts] = {
    "road.pothole": _Texts(
        (
            (
                "Mặt đường {place} xuất hiện nhiều ổ gà lớn, sâu khoảng 15–20 cm",
                "Đơn vị quản lý đường bộ đã vá ổ gà, hoàn trả mặt đường bằng bê tông nhựa.",
            ),
            (
                "Mặt đường {place} bị sụt lún, nứt vỡ thành từng mảng",
                "Đã cào bóc lớp mặt đường hư hỏng, lu lèn và thảm lại bê tông nhựa.",
            ),
            (
                "Nắp hố ga {place} bị vỡ, để lộ hố sâu ngay giữa lòng đường",
                "Đã thay nắp hố ga mới và cắm biển cảnh báo trong thời gian chờ bê tông đông kết.",
            ),
        ),
        (
            "Trời mưa nước đọng che kín ổ gà, người đi xe máy không nhìn thấy, đã có người bị ngã.",
            "Xe tải chở vật liệu qua lại nhiều khiến mặt đường ngày càng hư hỏng nặng hơn.",
            "Buổi tối đoạn này thiếu ánh sáng nên rất nguy hiểm cho học sinh đi học về.",
        ),
    ),
    "road.sidewalk": _Texts(
        (
            (
                "Vỉa hè {place} bị bong gạch, bó vỉa vỡ nhiều đoạn",
                "Đã lát lại gạch vỉa hè và thay thế các đoạn bó vỉa bị vỡ.",
            ),
            (
                "Đường bê tông {place} nứt gãy, lún sâu, đi lại rất khó khăn",
                "Đã phá dỡ các tấm bê tông hư hỏng và đổ bê tông hoàn trả mặt đường.",
            ),
            (
                "Nắp đan rãnh thoát nước {place} bị sập, hở một khoảng lớn",
                "Đã thay mới các tấm đan rãnh thoát nước bị sập.",
            ),
        ),
        (
            "Người già và trẻ nhỏ đi bộ qua đây rất dễ bị vấp ngã.",
            "Tình trạng này đã kéo dài nhiều tháng nhưng chưa được sửa chữa.",
            "Mùa mưa nước tràn lên mặt đường, bùn đất trơn trượt.",
        ),
    ),
    "traffic.signal": _Texts(
        (
            (
                "Đèn tín hiệu giao thông {place} bị tắt hoàn toàn từ sáng nay",
                "Đơn vị bảo trì đã thay bộ điều khiển, cụm đèn hoạt động bình thường trở lại.",
            ),
            (
                "Cụm đèn tín hiệu {place} chỉ nhấp nháy vàng, các hướng tranh nhau đi",
                "Đã sửa chữa tủ điều khiển, cụm đèn hoạt động đúng chu kỳ.",
            ),
            (
                "Đèn xanh {place} quá ngắn, xe xếp hàng dài vào giờ cao điểm",
                "Đã điều chỉnh lại chu kỳ đèn, tăng thời gian pha xanh cho hướng đông xe.",
            ),
        ),
        (
            "Giờ tan tầm xe cộ đi lộn xộn, rất dễ xảy ra va chạm.",
            "Đã có hai vụ va quệt nhẹ trong ngày hôm nay.",
            "Nhiều người sốt ruột vượt đèn đỏ, rất dễ xảy ra tai nạn.",
        ),
    ),
    "traffic.sign": _Texts(
        (
            (
                "Biển báo giao thông {place} bị gãy đổ, nằm sát lề đường",
                "Đã lắp đặt lại biển báo theo đúng quy chuẩn.",
            ),
            (
                "Vạch sơn kẻ đường {place} đã mờ hết, không còn nhìn thấy",
                "Đã sơn lại vạch kẻ đường và vạch dành cho người đi bộ.",
            ),
            (
                "Gương cầu lồi ở khúc cua {place} bị vỡ",
                "Đã thay gương cầu lồi mới và phát quang cây che khuất tầm nhìn.",
            ),
        ),
        (
            "Người lạ đường không biết hướng đi và tốc độ cho phép.",
            "Buổi tối và khi trời mưa rất khó quan sát.",
            "Đây là đoạn khuất tầm nhìn, xe hai chiều dễ đâm nhau.",
        ),
    ),
    "traffic.violation": _Texts(
        (
            (
                "Ô tô thường xuyên đỗ dưới lòng đường {place}",
                "Lực lượng Cảnh sát giao thông đã tăng cường tuần tra, xử phạt các xe đỗ sai "
                "quy định.",
            ),
            (
                "Xe tải chở đất đá quá tải chạy liên tục {place}",
                "Công an đã kiểm tra tải trọng, lập biên bản xử lý các phương tiện vi phạm.",
            ),
            (
                "Nhóm thanh niên tụ tập đua xe, lạng lách vào ban đêm {place}",
                "Công an đã bố trí tổ công tác chốt chặn, tạm giữ phương tiện của các đối tượng.",
            ),
        ),
        (
            "Đường hẹp lại chỉ còn một làn, xe cộ ùn ứ kéo dài.",
            "Xe chạy tốc độ cao, đất đá rơi vãi khắp đường.",
            "Tiếng nẹt pô gây mất ngủ, người dân rất bức xúc.",
        ),
    ),
    "traffic.congestion": _Texts(
        (
            (
                "Giao thông {place} ùn tắc kéo dài vào giờ cao điểm",
                "Đã bố trí lực lượng phân luồng vào giờ cao điểm, giao thông thông suốt.",
            ),
            (
                "Xảy ra tai nạn giao thông {place}, xe cộ ách tắc cả hai chiều",
                "Lực lượng chức năng đã có mặt xử lý hiện trường, giao thông thông suốt trở lại.",
            ),
            (
                "Công trình thi công lấn chiếm một nửa lòng đường {place} gây tắc đường",
                "Đã yêu cầu đơn vị thi công thu hẹp rào chắn và bố trí người hướng dẫn giao thông.",
            ),
        ),
        (
            "Xe phải nhích từng chút, mất hơn 30 phút mới qua được đoạn này.",
            "Không có người phân luồng, các phương tiện chen lấn nhau.",
            "Giờ học sinh tan trường tình trạng càng nghiêm trọng hơn.",
        ),
    ),
    "light.street_out": _Texts(
        (
            (
                "Đèn chiếu sáng công cộng {place} không sáng nhiều đêm nay",
                "Đã thay bóng đèn hỏng và kiểm tra lại tủ điều khiển chiếu sáng của tuyến.",
            ),
            (
                "Cả dãy đèn đường {place} sáng cả ban ngày",
                "Đã cài đặt lại thời gian bật tắt của tủ điều khiển chiếu sáng.",
            ),
            (
                "Cột đèn chiếu sáng {place} bị nghiêng, dây điện hở",
                "Đã dựng lại cột đèn và bọc cách điện dây dẫn.",
            ),
        ),
        (
            "Buổi tối đi lại tối om, người dân lo ngại mất an toàn.",
            "Gây lãng phí điện trong khi nhiều tuyến khác lại thiếu đèn.",
            "Trẻ em hay chơi gần cột đèn, rất nguy hiểm.",
        ),
    ),
    "waste.uncollected": _Texts(
        (
            (
                "Rác thải sinh hoạt {place} tồn đọng nhiều ngày không được thu gom",
                "Đơn vị thu gom đã thu dọn toàn bộ rác tồn đọng và phun khử mùi.",
            ),
            (
                "Điểm tập kết rác {place} quá tải, rác tràn ra lòng đường",
                "Đã tăng tần suất thu gom tại điểm tập kết và bổ sung thùng chứa.",
            ),
            (
                "Xe thu gom rác không đến {place} đã gần một tuần",
                "Đã điều chỉnh lịch thu gom, xe thu gom đến đúng giờ hằng ngày.",
            ),
        ),
        (
            "Mùi hôi thối bốc lên nồng nặc, ruồi muỗi phát sinh nhiều.",
            "Chó mèo bới rác vương vãi khắp nơi, mất vệ sinh.",
            "Các hộ dân vẫn đóng phí vệ sinh đầy đủ hằng tháng.",
        ),
    ),
    "waste.illegal_dumping": _Texts(
        (
            (
                "Có người đổ trộm phế thải xây dựng {place}",
                "Đã xác định được người đổ trộm, lập biên bản xử phạt và buộc thu dọn.",
            ),
            (
                "Bãi rác tự phát hình thành {place}",
                "Địa phương đã thu dọn bãi rác, lắp biển cấm đổ rác và giao tổ dân phố giám sát.",
            ),
            (
                "Đất đá, gạch vỡ bị đổ trộm ven đường {place}",
                "Đã thu dọn đất đá, hoàn trả lề đường và lắp camera giám sát.",
            ),
        ),
        (
            "Việc đổ trộm thường diễn ra vào ban đêm bằng xe ba gác.",
            "Rác lấn dần ra lòng đường, ảnh hưởng cảnh quan và môi trường.",
            "Khi mưa lớn rác trôi xuống kênh mương gây tắc dòng chảy.",
        ),
    ),
    "env.pollution": _Texts(
        (
            (
                "Cơ sở sản xuất {place} xả khói bụi đen ra khu dân cư",
                "Đoàn kiểm tra đã lấy mẫu khí thải, xử phạt và yêu cầu cơ sở lắp hệ thống lọc bụi.",
            ),
            (
                "Trang trại chăn nuôi lợn {place} xả nước thải ra mương",
                "Chủ trang trại đã bị xử phạt, buộc xây hầm biogas và bể lắng trước khi xả thải.",
            ),
            (
                "Xưởng tái chế nhựa {place} bốc mùi hôi nồng nặc mỗi tối",
                "Đã đình chỉ hoạt động của xưởng cho đến khi hoàn thiện hệ thống xử lý mùi.",
            ),
        ),
        (
            "Người dân phải đóng kín cửa cả ngày, trẻ nhỏ bị ho kéo dài.",
            "Nước mương chuyển màu đen, cá chết nổi trắng.",
            "Tình trạng đã kéo dài nhiều tháng dù người dân đã kiến nghị tại các buổi họp.",
        ),
        street=False,
    ),
    "env.noise": _Texts(
        (
            (
                "Quán karaoke {place} hát đến 23–24 giờ đêm",
                "Công an đã kiểm tra, xử phạt chủ quán và yêu cầu dừng hoạt động sau 22 giờ.",
            ),
            (
                "Hộ gia đình {place} mở loa kẹo kéo hát to cả ngày",
                "Cán bộ địa phương đã đến nhắc nhở, hộ gia đình cam kết không gây ồn.",
            ),
            (
                "Công trình {place} thi công ồn ào suốt đêm",
                "Đã lập biên bản và yêu cầu chủ công trình không thi công từ 22 giờ đến 6 giờ.",
            ),
        ),
        (
            "Người già và trẻ nhỏ trong khu vực không ngủ được.",
            "Đã nhắc nhở nhiều lần nhưng không có chuyển biến.",
            "Tiếng ồn ảnh hưởng đến việc học tập của học sinh.",
        ),
        street=False,
    ),
    "water.outage": _Texts(
        (
            (
                "Khu dân cư {place} mất nước sinh hoạt từ hôm qua",
                "Công ty đã sửa chữa sự cố trên tuyến ống, cấp nước ổn định trở lại.",
            ),
            (
                "Nước máy {place} rất yếu, chỉ chảy vào ban đêm",
                "Đã điều chỉnh áp lực mạng lưới và lắp van tăng áp cho khu vực.",
            ),
            (
                "Nước máy {place} bị đục, có mùi lạ",
                "Đã súc xả đường ống; kết quả kiểm tra chất lượng nước đạt quy chuẩn.",
            ),
        ),
        (
            "Các gia đình phải đi xin nước, sinh hoạt rất khó khăn.",
            "Các hộ ở tầng cao hầu như không có nước dùng.",
            "Nhiều hộ có trẻ nhỏ lo ngại không dám dùng nước.",
        ),
        street=False,
    ),
    "water.leak": _Texts(
        (
            (
                "Đường ống cấp nước {place} bị vỡ, nước phun lên mặt đường",
                "Đội sửa chữa đã thay đoạn ống vỡ và hoàn trả mặt đường.",
            ),
            (
                "Ống nước {place} rò rỉ nhiều ngày, nước chảy lênh láng",
                "Đã khắc phục điểm rò rỉ trên tuyến ống phân phối.",
            ),
            (
                "Đồng hồ nước {place} bị vỡ",
                "Đã thay đồng hồ nước mới, không thu tiền của khách hàng.",
            ),
        ),
        (
            "Lãng phí nước sạch, mặt đường bị xói lở.",
            "Nước chảy tràn vào nhà dân ở phía dưới.",
            "Các hộ phía cuối tuyến bị mất nước.",
        ),
    ),
    "water.flooding": _Texts(
        (
            (
                "Mỗi khi mưa lớn, đường {place} ngập sâu 30–40 cm",
                "Đã nạo vét tuyến cống và bổ sung cửa thu nước mặt đường.",
            ),
            (
                "Cống thoát nước {place} bị tắc, nước không thoát được",
                "Đã nạo vét toàn bộ tuyến cống, khơi thông dòng chảy.",
            ),
            (
                "Mương thoát nước {place} bị lấp, nước tràn vào nhà dân",
                "Đã tháo dỡ vật cản và nạo vét mương thoát nước.",
            ),
        ),
        (
            "Xe máy chết máy giữa dòng, học sinh không đến trường được.",
            "Rác và bùn đất lắng đọng lâu ngày không được nạo vét.",
            "Nước ngập kéo dài nhiều giờ sau khi tạnh mưa.",
        ),
    ),
    "power.outage": _Texts(
        (
            (
                "Khu vực {place} mất điện không báo trước",
                "Điện lực đã khắc phục sự cố tại trạm biến áp, cấp điện trở lại bình thường.",
            ),
            (
                "Điện {place} chập chờn, điện áp yếu vào buổi tối",
                "Đã thay máy biến áp có công suất lớn hơn, điện áp đã ổn định.",
            ),
            (
                "Nhiều hộ {place} mất điện từ chiều qua đến nay chưa có lại",
                "Đã thay dây dẫn bị đứt do giông lốc và đóng điện trở lại.",
            ),
        ),
        (
            "Thời tiết nắng nóng, người già và trẻ nhỏ rất vất vả.",
            "Thiết bị điện trong nhà nhiều hộ đã bị hỏng.",
            "Các hộ sản xuất, kinh doanh bị thiệt hại.",
        ),
        street=False,
    ),
    "power.danger": _Texts(
        (
            (
                "Dây điện {place} bị đứt, rủ xuống sát mặt đường",
                "Điện lực đã cắt điện khu vực, thay dây dẫn và đóng điện trở lại an toàn.",
            ),
            (
                "Cột điện {place} bị nghiêng, có nguy cơ đổ",
                "Đã dựng lại cột điện, gia cố móng và kiểm tra toàn tuyến.",
            ),
            (
                "Tủ điện {place} bị hở, phát ra tia lửa khi trời mưa",
                "Đã thay tủ điện mới, có khóa và nắp che mưa.",
            ),
        ),
        (
            "Trẻ em đi học qua đây hằng ngày, rất nguy hiểm.",
            "Người dân không dám đi qua khu vực này.",
            "Đề nghị cắt điện khẩn cấp để đảm bảo an toàn.",
        ),
    ),
    "urban.encroachment": _Texts(
        (
            (
                "Các hộ kinh doanh {place} bày hàng kín vỉa hè",
                "Tổ trật tự đô thị đã yêu cầu các hộ thu dọn và ký cam kết không tái phạm.",
            ),
            (
                "Người bán hàng họp chợ tự phát {place}",
                "Đã giải tỏa điểm họp chợ tự phát và bố trí lực lượng kiểm tra thường xuyên.",
            ),
            (
                "Bãi trông giữ xe trái phép chiếm lòng đường {place}",
                "Đã xử phạt chủ bãi giữ xe và trả lại lòng đường thông thoáng.",
            ),
        ),
        (
            "Người đi bộ phải đi xuống lòng đường, rất nguy hiểm.",
            "Buổi sáng ùn tắc nghiêm trọng, mất vệ sinh môi trường.",
            "Đã được nhắc nhở nhưng sau đó lại tái diễn.",
        ),
    ),
    "urban.illegal_construction": _Texts(
        (
            (
                "Hộ gia đình {place} xây dựng nhà nhiều tầng không có giấy phép",
                "Đã lập biên bản, đình chỉ thi công và yêu cầu chủ nhà hoàn thiện hồ sơ theo quy "
                "định.",
            ),
            (
                "Công trình {place} xây vượt số tầng được cấp phép",
                "Chủ công trình đã tự tháo dỡ phần xây vượt phép theo quyết định xử phạt.",
            ),
            (
                "Công trình xây dựng {place} không che chắn, vật liệu rơi xuống đường",
                "Chủ công trình đã bị xử phạt và lắp đặt lưới che chắn theo yêu cầu.",
            ),
        ),
        (
            "Công trình lấn sang phần đất công và lối đi chung.",
            "Nhà bên cạnh đã xuất hiện vết nứt tường.",
            "Bụi bẩn và vật liệu rơi vãi ảnh hưởng các hộ xung quanh.",
        ),
        street=False,
    ),
    "urban.advertising": _Texts(
        (
            (
                "Tờ rơi quảng cáo dán chi chít trên cột điện, tường nhà {place}",
                "Đã bóc dỡ tờ rơi, sơn lại tường và xử phạt các số điện thoại quảng cáo.",
            ),
            (
                "Biển quảng cáo lớn dựng trái phép {place}",
                "Đã tháo dỡ biển quảng cáo trái phép, chủ biển bị xử phạt theo quy định.",
            ),
            (
                "Quảng cáo khoan cắt bê tông, vay tiền được sơn lên tường {place}",
                "Đã sơn xóa quảng cáo và đề nghị nhà mạng khóa các số thuê bao vi phạm.",
            ),
        ),
        (
            "Làm mất mỹ quan đô thị.",
            "Biển quảng cáo che khuất tầm nhìn của người tham gia giao thông.",
            "Bóc đi lại bị dán lại ngay hôm sau.",
        ),
    ),
    "security.disorder": _Texts(
        (
            (
                "Một nhóm thanh niên tụ tập gây gổ, đánh nhau {place}",
                "Công an đã có mặt, giải tán nhóm đối tượng và mời về trụ sở làm việc.",
            ),
            (
                "Đối tượng say rượu gây rối trật tự {place}",
                "Công an đã xử phạt hành chính đối tượng và thông báo về địa phương nơi cư trú.",
            ),
            (
                "Thường xuyên có người lạ tụ tập uống rượu, chửi bới {place}",
                "Công an đã tăng cường tuần tra vào ban đêm tại khu vực.",
            ),
        ),
        (
            "Người dân lo sợ, không dám ra khỏi nhà.",
            "Sự việc diễn ra vào khoảng 22 giờ.",
            "Tình trạng lặp lại nhiều đêm gần đây.",
        ),
        street=False,
    ),
    "security.social_evils": _Texts(
        (
            (
                "Nghi có tụ điểm sử dụng ma túy {place}",
                "Công an đã xác minh, triệt phá tụ điểm và xử lý các đối tượng theo quy định.",
            ),
            (
                "Thường xuyên có nhóm người tụ tập đánh bạc {place}",
                "Công an đã bắt quả tang, xử lý các đối tượng đánh bạc.",
            ),
            (
                "Nghi có hoạt động ghi lô đề {place}",
                "Công an đã tiếp nhận thông tin, xác minh và xử lý theo quy định.",
            ),
        ),
        (
            "Bơm kim tiêm vứt bừa bãi, trẻ em có thể nhặt phải.",
            "Nhiều người lạ ra vào vào ban đêm.",
            "Người dân đề nghị giữ bí mật thông tin người phản ánh.",
        ),
        street=False,
    ),
    "health.food_safety": _Texts(
        (
            (
                "Quán ăn {place} chế biến thực phẩm mất vệ sinh",
                "Đoàn kiểm tra an toàn thực phẩm đã xử phạt và yêu cầu cơ sở khắc phục.",
            ),
            (
                "Cửa hàng {place} bán thực phẩm không rõ nguồn gốc, quá hạn sử dụng",
                "Đã tiêu hủy hàng hóa không rõ nguồn gốc và xử phạt chủ cửa hàng.",
            ),
            (
                "Nhiều người bị đau bụng sau khi ăn tại quán {place}",
                "Đã lấy mẫu xét nghiệm, tạm đình chỉ hoạt động của cơ sở.",
            ),
        ),
        (
            "Thực phẩm để trên nền đất, ruồi nhặng bâu kín.",
            "Hàng hóa không có nhãn mác, giá rẻ bất thường.",
            "Có cả học sinh ăn tại đây hằng ngày.",
        ),
        street=False,
    ),
    "health.disease": _Texts(
        (
            (
                "Khu dân cư {place} có nhiều người bị sốt xuất huyết",
                "Trung tâm Y tế đã phun hóa chất diệt muỗi và hướng dẫn người dân diệt bọ gậy.",
            ),
            (
                "Nhiều vũng nước đọng, dụng cụ phế thải chứa nước {place}, muỗi phát sinh nhiều",
                "Đã tổ chức tổng vệ sinh, thu gom dụng cụ phế thải chứa nước.",
            ),
            (
                "Xác lợn chết bị vứt xuống suối {place}",
                "Đã thu gom, tiêu hủy xác động vật và khử trùng khu vực.",
            ),
        ),
        (
            "Đề nghị phun thuốc diệt muỗi cho khu vực.",
            "Người dân lo ngại dịch bệnh lây lan.",
            "Mùi hôi thối bốc lên, nguồn nước bị ô nhiễm.",
        ),
        street=False,
    ),
    "edu.school_facility": _Texts(
        (
            (
                "Phòng học của trường {place} bị thấm dột, tường nứt",
                "Nhà trường đã được bố trí kinh phí chống thấm và sửa chữa phòng học.",
            ),
            (
                "Nhà vệ sinh của trường {place} xuống cấp, không đủ nước",
                "Đã cải tạo nhà vệ sinh và lắp bồn chứa nước cho học sinh.",
            ),
            (
                "Cổng trường {place} không có biển báo, xe chạy tốc độ cao",
                "Đã lắp biển báo khu vực trường học và gờ giảm tốc.",
            ),
        ),
        (
            "Mùa mưa lớp học phải dồn sang phòng khác.",
            "Học sinh học trong điều kiện không đảm bảo vệ sinh.",
            "Phụ huynh rất lo lắng khi đưa đón con.",
        ),
        street=False,
    ),
    "edu.extra_fees": _Texts(
        (
            (
                "Trường {place} thu nhiều khoản ngoài quy định đầu năm học",
                "Đã yêu cầu nhà trường dừng và hoàn trả các khoản thu sai quy định.",
            ),
            (
                "Giáo viên trường {place} ép học sinh đi học thêm",
                "Đã chấn chỉnh việc dạy thêm, học thêm và kiểm điểm giáo viên có liên quan.",
            ),
            (
                "Ban đại diện cha mẹ học sinh trường {place} thu quỹ cao bất hợp lý",
                "Đã hướng dẫn ban đại diện cha mẹ học sinh thu chi đúng quy định và công khai.",
            ),
        ),
        (
            "Nhiều gia đình khó khăn không đủ khả năng đóng.",
            "Các khoản thu không được thông báo công khai.",
            "Phụ huynh không dám phản ánh trực tiếp vì sợ ảnh hưởng đến con.",
        ),
        street=False,
    ),
    "land.dispute": _Texts(
        (
            (
                "Gia đình tôi {place} bị hộ bên cạnh lấn sang ranh giới đất",
                "Đã đo đạc, cắm lại mốc giới theo hồ sơ địa chính; các bên chấp hành.",
            ),
            (
                "Các hộ {place} tranh chấp lối đi chung",
                "Ủy ban nhân dân đã hòa giải thành, các hộ thống nhất giữ nguyên lối đi chung.",
            ),
            (
                "Hộ liền kề {place} tự ý xây tường rào trên phần đất đang tranh chấp",
                "Đã yêu cầu tạm dừng xây dựng và tổ chức hòa giải; hai bên ký biên bản thống nhất.",
            ),
        ),
        (
            "Hai bên đã được tổ hòa giải ở cơ sở hòa giải nhưng không thành.",
            "Gia đình có đầy đủ giấy chứng nhận quyền sử dụng đất.",
            "Đề nghị chính quyền xuống đo đạc, xác định lại mốc giới.",
        ),
        street=False,
    ),
    "land.illegal_use": _Texts(
        (
            (
                "Có người lấn chiếm đất công {place} để xây lán trại",
                "Đã lập biên bản, buộc tháo dỡ lán trại và trả lại hiện trạng đất.",
            ),
            (
                "Có hoạt động khai thác cát sỏi trái phép {place}",
                "Đã tịch thu phương tiện khai thác trái phép, xử phạt theo quy định.",
            ),
            (
                "Đất nông nghiệp {place} bị san lấp để phân lô bán nền",
                "Đã đình chỉ việc san lấp và buộc khôi phục tình trạng ban đầu của đất.",
            ),
        ),
        (
            "Chưa thấy chính quyền địa phương xử lý.",
            "Hoạt động diễn ra cả ban đêm, bờ sông bị sạt lở, xe chở cát làm hỏng đường.",
            "Việc san lấp làm tắc mương tưới tiêu của các ruộng xung quanh.",
        ),
        street=False,
    ),
    "other.admin_procedure": _Texts(
        (
            (
                "Hồ sơ tôi nộp tại bộ phận một cửa {place} đã quá hẹn nhưng chưa có kết quả",
                "Hồ sơ đã được giải quyết; cơ quan đã gửi thư xin lỗi vì trễ hẹn.",
            ),
            (
                "Cán bộ tiếp nhận hồ sơ {place} yêu cầu nhiều giấy tờ ngoài quy định",
                "Đã chấn chỉnh việc tiếp nhận hồ sơ, chỉ yêu cầu thành phần hồ sơ theo quy định.",
            ),
            (
                "Cán bộ bộ phận một cửa {place} có thái độ thiếu tôn trọng người dân",
                "Đã kiểm điểm cán bộ có liên quan và nhắc nhở toàn bộ phận.",
            ),
        ),
        (
            "Tôi đã phải đi lại nhiều lần.",
            "Không được giải thích lý do chậm trễ.",
            "Mong được giải quyết đúng quy định.",
        ),
        street=False,
    ),
    "other.general": _Texts(
        (
            (
                "Đề nghị bố trí thêm ghế ngồi, cây xanh tại khu vui chơi {place}",
                "Địa phương đã bổ sung ghế ngồi và trồng thêm cây xanh tại khu vui chơi.",
            ),
            (
                "Cây xanh {place} mọc lấn ra đường, che khuất tầm nhìn",
                "Đã cắt tỉa cây xanh, bảo đảm tầm nhìn cho người tham gia giao thông.",
            ),
            (
                "Chó thả rông {place} cắn người đi đường",
                "Đã nhắc nhở các hộ nuôi chó và xử phạt hộ để chó thả rông.",
            ),
        ),
        (
            "Người dân trong khu vực đều mong muốn.",
            "Xe lớn đi qua thường quệt phải cành cây.",
            "Đã có người bị thương.",
        ),
        street=False,
    ),
}

OPENINGS = (
    "",
    "",
    "",
    "Kính gửi cơ quan chức năng. ",
    "Tôi xin phản ánh: ",
    "Người dân chúng tôi phản ánh: ",
)
REQUESTS = (
    "Đề nghị cơ quan chức năng sớm kiểm tra, xử lý.",
    "Mong các cơ quan có thẩm quyền sớm khắc phục.",
    "Đề nghị xử lý dứt điểm, tránh để kéo dài.",
    "Rất mong được quan tâm giải quyết.",
    "",
)
ANSWER_INTROS = (
    "{agency} đã tiếp nhận phản ánh và cử cán bộ kiểm tra hiện trường.",
    "Sau khi tiếp nhận phản ánh, {agency} đã phối hợp với các đơn vị liên quan kiểm tra thực tế.",
)
ANSWER_CLOSINGS = (
    "Việc khắc phục hoàn thành ngày {date}. Trân trọng cảm ơn ông/bà đã phản ánh.",
    "Kết quả xử lý hoàn thành ngày {date}. Cảm ơn ông/bà đã đồng hành cùng chính quyền.",
)
REJECT_REASONS = (
    "Phản ánh không có vị trí cụ thể và hình ảnh, cơ quan không đủ căn cứ để kiểm tra. Đề nghị "
    "ông/bà gửi lại phản ánh kèm địa điểm chính xác.",
    "Qua kiểm tra thực tế, nội dung phản ánh không đúng như mô tả.",
    "Nội dung đã được xử lý xong trước thời điểm phản ánh.",
)
NOT_COMPETENT_REASONS = (
    "Nội dung là tranh chấp dân sự giữa các hộ gia đình, không thuộc thẩm quyền giải quyết của "
    "cơ quan. Đề nghị ông/bà liên hệ Tòa án nhân dân có thẩm quyền.",
    "Hạng mục thuộc dự án do doanh nghiệp quản lý, không thuộc phạm vi quản lý của cơ quan; đề "
    "nghị ông/bà liên hệ chủ đầu tư.",
)
CLOSED_UNFIXED_REASONS = (
    "Hạng mục cần sửa chữa lớn, chưa có trong kế hoạch vốn năm nay. Cơ quan đã ghi nhận và đề "
    "xuất đưa vào kế hoạch đầu tư năm sau.",
    "Khu vực thuộc dự án đang chờ giải phóng mặt bằng; việc khắc phục sẽ thực hiện khi dự án "
    "triển khai.",
    "Đã nhiều lần làm việc với hộ vi phạm nhưng chưa thể xử lý dứt điểm; hồ sơ đã chuyển cơ "
    "quan có thẩm quyền xem xét theo quy định.",
)
WAITING_QUESTIONS = (
    "Đề nghị ông/bà cung cấp thêm vị trí chính xác (số nhà hoặc mốc gần nhất) và hình ảnh hiện "
    "trạng để cơ quan kiểm tra.",
    "Đề nghị ông/bà cho biết thời điểm sự việc thường xảy ra để cơ quan bố trí kiểm tra.",
)
WAITING_REPLIES = (
    "Vị trí ở ngay đầu ngõ, đối diện cửa hàng tạp hóa. Tôi đã gửi thêm ảnh.",
    "Thường vào khoảng 21 giờ đến 23 giờ các ngày cuối tuần.",
)
REOPEN_REASONS = (
    "Chưa được khắc phục, tình trạng vẫn như cũ.",
    "Mới sửa tạm, sau trận mưa lại hư hỏng như trước.",
    "Trả lời đã xử lý nhưng thực tế chưa thấy ai đến kiểm tra.",
)
RATING_COMMENTS: dict[int, tuple[str, ...]] = {
    5: (
        "Xử lý nhanh, rất hài lòng.",
        "Cảm ơn cán bộ đã xử lý kịp thời.",
        "Đã khắc phục triệt để, cảm ơn chính quyền.",
        "",
    ),
    4: ("Đã được xử lý, cảm ơn.", "Khá hài lòng, mong được kiểm tra thường xuyên.", ""),
    3: ("Đã xử lý nhưng còn chậm.", "Tạm được, chất lượng sửa chữa chưa cao.", ""),
    2: ("Xử lý chậm, phải chờ nhiều ngày.", "Mới khắc phục tạm thời, chưa triệt để."),
    1: (
        "Chưa được khắc phục như trả lời.",
        "Rất chậm, người dân phải phản ánh nhiều lần.",
        "Trả lời chung chung, không giải quyết được vấn đề.",
    ),
}
# Streets of the former Thái Nguyên city, and names common to the province's other towns.
CITY_STREETS = (
    "Hoàng Văn Thụ",
    "Lương Ngọc Quyến",
    "Quang Trung",
    "Cách Mạng Tháng Tám",
    "Phan Đình Phùng",
    "Minh Cầu",
    "Đội Cấn",
    "Túc Duyên",
    "Dương Tự Minh",
    "Bến Oánh",
    "Z115",
    "Tố Hữu",
    "Việt Bắc",
    "Thống Nhất",
    "Lê Quý Đôn",
    "Phủ Liễn",
    "Quang Vinh",
    "Bến Tượng",
    "Nha Trang",
    "Hoàng Ngân",
)
TOWN_STREETS = (
    "Cách Mạng Tháng Tám",
    "Thống Nhất",
    "Lý Nam Đế",
    "Nguyễn Văn Cừ",
    "Trường Chinh",
    "Võ Nguyên Giáp",
    "Hùng Vương",
    "Lê Hồng Phong",
    "Trần Hưng Đạo",
    "Nguyễn Trãi",
    "Thắng Lợi",
    "Độc Lập",
    "Phố Cò",
    "Ba Mặt",
)
URBAN_LANDMARKS = (
    "cổng chợ",
    "cổng trường tiểu học",
    "ngã tư",
    "vòng xuyến",
    "siêu thị",
    "bến xe",
    "công viên",
    "nhà văn hóa tổ dân phố",
    "chân cầu",
)
RURAL_LANDMARKS = (
    "nhà văn hóa",
    "trường mầm non",
    "trạm y tế",
    "cầu tràn",
    "chợ",
    "ngã ba",
    "đình",
)
RURAL_ROADS = (
    "Quốc lộ 3",
    "Quốc lộ 37",
    "Quốc lộ 1B",
    "Quốc lộ 17",
    "Quốc lộ 3C",
    "Quốc lộ 279",
    "đường tỉnh 261",
    "đường tỉnh 254",
    "đường tỉnh 269",
    "đường tỉnh 264",
    "đường liên xã",
    "đường liên xóm",
)
HAMLETS = (
    "Đồng Tâm",
    "Làng Mới",
    "Tân Lập",
    "Đồng Bẩm",
    "Na Hoàng",
    "Bản Cái",
    "Khuôn Ngục",
    "Đồng Kem",
    "Làng Chũ",
    "Cầu Gỗ",
    "Ao Sen",
    "Trung Tâm",
    "Gốc Sữu",
    "Đèo Khế",
    "Bãi Bằng",
    "Soi Mít",
    "Thác Dài",
    "Nà Pài",
    "Pác Nặm",
    "Khau Cuốn",
    "Đồng Chùa",
    "Tân Thành",
    "Hòa Bình",
    "Cây Thị",
)
FAMILY_NAMES = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Vũ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Ngô",
    "Dương",
    "Lý",
    "Ma",
    "Nông",
    "Hà",
    "Lương",
    "Triệu",
    "Đào",
    "Lưu",
)
MIDDLE_NAMES = (
    "Văn",
    "Thị",
    "Đức",
    "Minh",
    "Thu",
    "Ngọc",
    "Quang",
    "Thanh",
    "Hữu",
    "Thị Thu",
    "Xuân",
    "Hồng",
)
GIVEN_NAMES = (
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hoa",
    "Hùng",
    "Hương",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Nga",
    "Phong",
    "Phương",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Thắng",
    "Trang",
    "Tuấn",
    "Việt",
    "Yến",
)
