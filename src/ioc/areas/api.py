"""Public JSON for areas and agencies (the directory citizens and other systems read)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from ioc.areas import service
from ioc.web.deps import DbSession

router = APIRouter(prefix="/api/v1", tags=["areas"])


class AreaOut(BaseModel):
    code: str
    name: str
    kind: str
    parent_code: str | None
    lat: float | None
    lon: float | None
    area_km2: float | None


class AgencyOut(BaseModel):
    code: str
    name: str
    name_en: str
    short_name: str
    kind: str
    hotline: str
    email: str


@router.get("/areas", response_model=list[AreaOut], summary="Communes and wards of the province")
def list_areas(session: DbSession) -> list[AreaOut]:
    return [AreaOut.model_validate(a, from_attributes=True) for a in service.communes(session)]


@router.get("/agencies", response_model=list[AgencyOut], summary="Directory of agencies")
def list_agencies(session: DbSession, q: str = "") -> list[AgencyOut]:
    rows = service.list_agencies(session, query=q[:100], include_inactive=False)
    return [AgencyOut.model_validate(a, from_attributes=True) for a in rows]
