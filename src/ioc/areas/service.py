"""Rules for areas and agencies. Services never commit; the caller's unit of work does."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from ioc.areas import units
from ioc.areas.agencies_data import AGENCY_KINDS, PROVINCIAL_AGENCIES
from ioc.areas.models import Agency, AgencyArea, Area, LegacyUnit
from ioc.errors import NotFound, ValidationFailed
from ioc.kit import events
from ioc.kit.permissions import Actor, require
from ioc.kit.text import clean_text, fold

Progress = Callable[[str, int, int], None]


def _noop(_label: str, _done: int, _total: int) -> None:
    return None


# --- areas -----------------------------------------------------------------------------------


def seed_areas(session: Session, *, progress: Progress = _noop) -> int:
    """Load the province, its communes and the legacy units they replaced. Idempotent."""
    code = units.province_code()
    if session.get(Area, code) is None:
        session.add(
            Area(
                code=code,
                name=units.province_name(),
                kind="province",
                search_key=fold(units.province_name()),
            )
        )
        session.flush()
    communes = units.load_communes()
    existing = set(session.scalars(select(Area.code).where(Area.parent_code == code)))
    for i, unit in enumerate(communes, 1):
        if unit.code not in existing:
            session.add(
                Area(
                    code=unit.code,
                    name=unit.name,
                    kind=unit.kind,
                    parent_code=code,
                    lat=unit.lat,
                    lon=unit.lon,
                    area_km2=unit.area_km2,
                    population=unit.population,
                    search_key=fold(unit.name),
                )
            )
        if i % 10 == 0 or i == len(communes):
            progress("communes", i, len(communes))
    session.flush()
    if session.scalar(select(func.count(LegacyUnit.id))) == 0:
        rows = []
        for unit in communes:
            for old in unit.legacy:
                rows.append(
                    LegacyUnit(
                        code=old.code,
                        name=old.name,
                        level="commune",
                        parent_code=old.district_code,
                        province_code=old.province_code,
                        new_area_code=unit.code,
                    )
                )
        for district in units.load_legacy_districts():
            for new_code in district.commune_codes:
                rows.append(
                    LegacyUnit(
                        code=district.code,
                        name=district.name,
                        level="district",
                        province_code=district.province_code,
                        new_area_code=new_code,
                    )
                )
        seen: set[tuple[str, str, str]] = set()
        for row in rows:
            key = (row.code, row.level, row.new_area_code)
            if key not in seen:
                seen.add(key)
                session.add(row)
    session.flush()
    return len(communes)


def communes(session: Session) -> Sequence[Area]:
    return session.scalars(select(Area).where(Area.kind != "province").order_by(Area.name)).all()


def get_area(session: Session, code: str) -> Area:
    area = session.get(Area, code)
    if area is None:
        raise NotFound("No such commune or ward.", field="area_code")
    return area


def successors_of(session: Session, legacy_code: str) -> Sequence[Area]:
    """The current units covering an old district or commune, by its old code."""
    return session.scalars(
        select(Area)
        .join(LegacyUnit, LegacyUnit.new_area_code == Area.code)
        .where(LegacyUnit.code == legacy_code)
        .order_by(Area.name)
        .distinct()
    ).all()


# --- agencies --------------------------------------------------------------------------------


def seed_agencies(session: Session, *, progress: Progress = _noop) -> int:
    province = units.province_code()
    created = 0
    existing = set(session.scalars(select(Agency.code)))
    for code, name, name_en, short, kind, hotline in PROVINCIAL_AGENCIES:
        if code in existing:
            continue
        agency = Agency(
            code=code,
            name=name,
            name_en=name_en,
            short_name=short,
            kind=kind,
            hotline=hotline,
            seat_area_code=None,
            search_key=fold(f"{code} {name}"),
        )
        session.add(agency)
        session.flush()
        session.add(AgencyArea(agency_id=agency.id, area_code=province))
        created += 1
    rows = communes(session)
    for i, area in enumerate(rows, 1):
        code = f"UBND-{area.code}"
        if code not in existing:
            name = f"Ủy ban nhân dân {area.name[0].lower()}{area.name[1:]}"
            agency = Agency(
                code=code,
                name=name,
                name_en=f"People's Committee of {area.name}",
                short_name=f"UBND {area.name[0].lower()}{area.name[1:]}",
                kind="commune_committee",
                seat_area_code=area.code,
                search_key=fold(f"{code} {name}"),
            )
            session.add(agency)
            session.flush()
            session.add(AgencyArea(agency_id=agency.id, area_code=area.code))
            created += 1
        if i % 10 == 0 or i == len(rows):
            progress("agencies", i, len(rows))
    session.flush()
    return created


def list_agencies(
    session: Session, *, query: str = "", kind: str = "", include_inactive: bool = True
) -> Sequence[Agency]:
    stmt = select(Agency)
    if query:
        key = f"%{fold(query)}%"
        stmt = stmt.where(or_(Agency.search_key.like(key), Agency.code.ilike(f"%{query}%")))
    if kind:
        stmt = stmt.where(Agency.kind == kind)
    if not include_inactive:
        stmt = stmt.where(Agency.is_active.is_(True))
    return session.scalars(stmt.order_by(Agency.kind != "office", Agency.kind, Agency.name)).all()


def get_agency(session: Session, code: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise NotFound("No such agency.", field="agency")
    return agency


def agency_area_codes(session: Session, agency: Agency) -> list[str]:
    return list(
        session.scalars(select(AgencyArea.area_code).where(AgencyArea.agency_id == agency.id))
    )


def agencies_for_area(session: Session, area_code: str) -> Sequence[Agency]:
    area = get_area(session, area_code)
    codes = [area.code] + ([area.parent_code] if area.parent_code else [])
    # A subquery rather than DISTINCT over a join: PostgreSQL cannot compare JSON columns.
    covering = select(AgencyArea.agency_id).where(AgencyArea.area_code.in_(codes))
    return session.scalars(
        select(Agency)
        .where(Agency.id.in_(covering), Agency.is_active.is_(True))
        .order_by(Agency.name)
    ).all()


def save_agency(
    session: Session,
    actor: Actor,
    *,
    code: str,
    name: str,
    kind: str,
    name_en: str = "",
    short_name: str = "",
    hotline: str = "",
    email: str = "",
    address: str = "",
    area_codes: Sequence[str] = (),
    is_active: bool = True,
    existing: Agency | None = None,
) -> Agency:
    """Create an agency or change one; every change is an event on the timeline."""
    require(actor, "agencies.manage", existing)
    errors = []
    code = code.strip().upper()
    clean: dict[str, str] = {}
    for field_name, value, max_len, required in (
        ("name", name, 200, True),
        ("name_en", name_en, 200, False),
        ("short_name", short_name, 80, False),
        ("hotline", hotline, 40, False),
        ("email", email, 254, False),
        ("address", address, 300, False),
    ):
        try:
            clean[field_name] = clean_text(
                value, field=field_name, max_length=max_len, allow_newlines=False, required=required
            )
        except ValidationFailed as error:
            errors.extend(error.errors)
    if existing is None:
        if not code or len(code) > 40 or not all(c.isalnum() or c in "-_" for c in code):
            errors.append(
                ValidationFailed(
                    "Use letters, digits and dashes (at most 40).", field="code"
                ).errors[0]
            )
        elif session.scalar(select(Agency.id).where(Agency.code == code)) is not None:
            errors.append(ValidationFailed("This code is already used.", field="code").errors[0])
    if kind not in AGENCY_KINDS:
        errors.append(ValidationFailed("Choose a kind.", field="kind").errors[0])
    known = set(session.scalars(select(Area.code)))
    bad = [c for c in area_codes if c not in known]
    if bad:
        errors.append(ValidationFailed("Unknown area.", field="area_codes").errors[0])
    if errors:
        raise ValidationFailed("Please check the fields marked.", errors=errors)
    agency = existing or Agency(code=code)
    agency.name = clean["name"]
    agency.name_en = clean["name_en"]
    agency.short_name = clean["short_name"]
    agency.kind = kind
    agency.hotline = clean["hotline"]
    agency.email = clean["email"]
    agency.address = clean["address"]
    agency.is_active = is_active
    agency.search_key = fold(f"{agency.code} {agency.name}")
    if existing is None:
        session.add(agency)
    session.flush()
    session.execute(delete(AgencyArea).where(AgencyArea.agency_id == agency.id))
    for area_code in dict.fromkeys(area_codes):
        session.add(AgencyArea(agency_id=agency.id, area_code=area_code))
    events.record(
        session,
        "agency.created" if existing is None else "agency.updated",
        subject_type="agency",
        subject_id=agency.code,
        actor_id=actor.user_id,
        title=agency.name,
        payload={"areas": list(area_codes), "active": is_active},
    )
    session.flush()
    return agency


def matches(agency: Agency, query: str) -> bool:
    """The same accent-insensitive match as the agency search, for lists already loaded."""
    return fold(query) in agency.search_key or query.upper() in agency.code
