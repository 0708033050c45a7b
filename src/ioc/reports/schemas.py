"""Input and output shapes of reports, for the JSON API, Open311 and the pages.

Shapes only check form (types, lengths); the rules (category active, location inside the
province, anonymity, no HTML) are the service's, so every channel gets the same answer.
The public shape never carries the reporter's identity (DOMAIN.md, "Personal data"); that is
only in ``ReporterIdentity``, which the service hands out with an audited permission check.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

DESCRIPTION_MAX = 4000
ADDRESS_MAX = 300
IDEMPOTENCY_KEY_MAX = 100
MAX_PHOTOS = 5


class ReportInput(BaseModel):
    """A new report from any channel. Photos are passed to the service separately, as bytes."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    category_code: str = Field(min_length=1, max_length=60)
    description: str = Field(max_length=DESCRIPTION_MAX)
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    lon: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    address: str = Field(default="", max_length=ADDRESS_MAX)
    area_code: str | None = Field(default=None, max_length=10)
    urgency: str | None = Field(default=None, max_length=10)
    reporter_name: str = Field(default="", max_length=200)
    reporter_phone: str = Field(default="", max_length=20)
    reporter_email: str = Field(default="", max_length=254)
    anonymous: bool = False
    attributes: dict[str, str | list[str]] = Field(default_factory=dict)
    idempotency_key: str | None = Field(default=None, max_length=IDEMPOTENCY_KEY_MAX)


class PhotoOut(BaseModel):
    id: int
    key: str
    thumb_key: str
    width: int
    height: int
    is_hidden: bool = False


class ReportPublic(BaseModel):
    """What anyone may see of a report that is not hidden. No reporter identity, ever."""

    code: str
    category_code: str
    status: str
    open311_status: str
    description: str
    lat: float | None
    lon: float | None
    address: str
    area_code: str | None
    agency_code: str | None
    agency_name: str | None
    submitted_at: datetime
    # The deadline that applies now (to accept, then to resolve); Open311 expected_datetime.
    expected_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    public_answer: str
    rating: int | None
    duplicate_of: str | None
    photos: list[PhotoOut]
    updated_at: datetime


class ReportStaff(ReportPublic):
    """What staff who may see a report's internals see. Still no identity: see reporter_view."""

    id: int
    urgency: str
    channel: str
    anonymous: bool
    attributes: dict[str, object]
    assignee_id: int | None
    accept_due_at: datetime | None
    accepted_at: datetime | None
    resolve_due_at: datetime | None
    paused_at: datetime | None
    reopen_count: int
    reminded_at: datetime | None
    escalated_at: datetime | None
    rating_comment: str
    is_hidden: bool
    # Working time left on the current deadline, negative when overdue (seconds).
    seconds_left: int | None
    overdue: bool


class ReporterIdentity(BaseModel):
    """The reporter, for handlers who need to call back. Every view is audited."""

    anonymous: bool
    user_id: int | None
    name: str
    phone: str
    email: str


class TimelineEntry(BaseModel):
    at: datetime
    kind: str  # status | answer | note | transfer | info
    from_status: str | None
    to_status: str | None
    public_text: str
    reason: str
    agency_id: int | None
    to_agency_id: int | None
    # Staff only; None in the public timeline.
    internal_note: str | None = None
    actor_id: int | None = None
    actor_role: str | None = None
