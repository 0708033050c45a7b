"""Areas and agencies in the database, as seeded and as administrators change them."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.areas import service
from ioc.areas.models import Agency, Area
from ioc.errors import PermissionDenied, ValidationFailed
from ioc.kit.events import Event
from ioc.kit.permissions import Actor, Grant, system_actor


def test_seed_loads_the_92_units_under_the_province(seeded: Session) -> None:
    province = seeded.get(Area, "19")
    assert province is not None and province.kind == "province"
    communes = service.communes(seeded)
    assert len(communes) == 92
    assert all(c.parent_code == "19" for c in communes)
    assert sum(c.kind == "phường" for c in communes) == 15


def test_old_district_maps_to_its_new_communes(seeded: Session) -> None:
    # Đại Từ (171) was a district of old Thái Nguyên; it now lies in several communes.
    successors = service.successors_of(seeded, "171")
    assert len(successors) >= 5
    assert all(a.parent_code == "19" for a in successors)


def test_each_commune_has_its_peoples_committee(seeded: Session) -> None:
    area = service.communes(seeded)[0]
    agencies = service.agencies_for_area(seeded, area.code)
    codes = {a.code for a in agencies}
    assert f"UBND-{area.code}" in codes
    assert "SXD" in codes  # provincial departments cover every commune


def test_accent_insensitive_agency_search(seeded: Session) -> None:
    found = service.list_agencies(seeded, query="so xay dung")
    assert [a.code for a in found] == ["SXD"]


def test_save_agency_validates_every_field_and_saves_nothing(seeded: Session) -> None:
    admin = system_actor()
    before = seeded.scalar(select(Agency.id).order_by(Agency.id.desc()))
    with pytest.raises(ValidationFailed) as caught:
        service.save_agency(seeded, admin, code="SXD", name="", kind="bogus", area_codes=["99999"])
    fields = {e.field for e in caught.value.errors}
    assert fields == {"code", "name", "kind", "area_codes"}
    assert seeded.scalar(select(Agency.id).order_by(Agency.id.desc())) == before


def test_save_agency_records_an_event(seeded: Session) -> None:
    agency = service.save_agency(
        seeded,
        system_actor(),
        code="ban-dan-toc",
        name="Ban Dân tộc tỉnh",
        kind="department",
        area_codes=["19"],
    )
    assert agency.code == "BAN-DAN-TOC"
    event = seeded.scalars(select(Event).where(Event.subject_id == "BAN-DAN-TOC")).one()
    assert event.type == "agency.created"


def test_only_administrators_manage_agencies(seeded: Session) -> None:
    officer = Actor(
        user_id=1, display_name="x", grants=(Grant("officer", "agency", "SXD"),), kind="user"
    )
    with pytest.raises(PermissionDenied):
        service.save_agency(seeded, officer, code="X", name="X", kind="department")
