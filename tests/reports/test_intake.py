"""Filing a report: the rules every channel shares."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.errors import PermissionDenied, ValidationFailed
from ioc.kit.geo import h3_cell
from ioc.kit.permissions import ANONYMOUS
from ioc.kit.storage import FileStore
from ioc.reports import intake
from ioc.reports import service as reports
from ioc.reports.models import Report, ReportFollower, ReportPhoto, ReportUpdate
from ioc.reports.schemas import ReportInput
from tests.reports.conftest import add_rule, communes, make_category, make_report, person

GPS_IFD = 0x8825


def count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def fields_of(caught: pytest.ExceptionInfo[ValidationFailed]) -> set[str]:
    return {e.field for e in caught.value.errors}


def data(session: Session, category: Any, **values: Any) -> ReportInput:
    area = communes(session, 1)[0]
    base: dict[str, Any] = {
        "category_code": category.code,
        "description": "Đèn đường hỏng",
        "lat": area.lat,
        "lon": area.lon,
        "reporter_phone": "0912 345 678",
    }
    return ReportInput(**{**base, **values})


def phone_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2], gps[3], gps[4] = "N", (21.0, 35.0, 34.0), "E", (105.0, 50.0, 40.0)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_a_report_gets_a_public_code_a_cell_a_search_key_and_a_history(seeded: Session) -> None:
    category = make_category(seeded)
    add_rule(seeded, category, "commune")
    citizen = person(seeded, "citizen")
    first = make_report(seeded, category, actor=citizen, description="Đường  Lê Lợi ngập")
    second = make_report(seeded, category)
    year, n = re.fullmatch(r"PA-(\d{4})-(\d{6})", first.code).groups()  # type: ignore[union-attr]
    assert second.code == f"PA-{year}-{int(n) + 1:06d}"
    assert first.h3_cell == h3_cell(first.lat, first.lon)  # type: ignore[arg-type]
    assert "duong le loi ngap" in first.search_key
    assert first.reporter_user_id == citizen.user_id and not first.anonymous
    assert seeded.get(ReportFollower, (first.id, citizen.user_id)) is not None
    update = seeded.scalars(select(ReportUpdate).where(ReportUpdate.report_id == first.id)).one()
    assert (update.kind, update.from_status, update.to_status) == ("status", None, "submitted")


def test_retry_with_the_same_idempotency_key_returns_the_first_report(seeded: Session) -> None:
    category = make_category(seeded)
    before = count(seeded, Report)
    first = reports.submit(
        seeded, ANONYMOUS, data(seeded, category, idempotency_key="k-1"), channel="app"
    )
    again = reports.submit(
        seeded, ANONYMOUS, data(seeded, category, idempotency_key="k-1"), channel="app"
    )
    assert again.id == first.id and again.code == first.code
    assert count(seeded, Report) == before + 1
    # Another client's key of the same text is another submission, not a way to read ours.
    citizen = person(seeded, "citizen")
    theirs = reports.submit(
        seeded, citizen, data(seeded, category, idempotency_key="k-1"), channel="app"
    )
    assert theirs.id != first.id


def test_a_concurrent_retry_losing_the_race_returns_the_winner(
    seeded: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    category = make_category(seeded)
    first = reports.submit(
        seeded, ANONYMOUS, data(seeded, category, idempotency_key="race"), channel="app"
    )
    real = intake._by_token
    calls: list[str] = []

    def not_yet_visible(session: Session, token: str) -> Report | None:
        # The first look happens before the other transaction committed: nothing there yet.
        calls.append(token)
        return None if len(calls) == 1 else real(session, token)

    monkeypatch.setattr(intake, "_by_token", not_yet_visible)
    before = count(seeded, Report)
    again = reports.submit(
        seeded, ANONYMOUS, data(seeded, category, idempotency_key="race"), channel="app"
    )
    # The first look saw nothing; the write then found the winner under its lock.
    assert calls == ["anonymous::race"] and again.id == first.id
    assert count(seeded, Report) == before
    # The loser's number was given back with its savepoint: no gap in the sequence.
    following = reports.submit(seeded, ANONYMOUS, data(seeded, category), channel="app")
    assert int(following.code[-6:]) == int(first.code[-6:]) + 1


def test_anonymous_report_refused_where_the_category_does_not_allow_it(seeded: Session) -> None:
    category = make_category(seeded, allow_anonymous=False)
    with pytest.raises(ValidationFailed) as caught:
        reports.submit(seeded, ANONYMOUS, data(seeded, category, anonymous=True), channel="app")
    assert fields_of(caught) == {"anonymous"}
    with pytest.raises(ValidationFailed) as caught:
        reports.submit(seeded, ANONYMOUS, data(seeded, category, reporter_phone=""), channel="app")
    assert fields_of(caught) == {"reporter_phone"}
    named = reports.submit(seeded, ANONYMOUS, data(seeded, category), channel="app")
    assert named.reporter_phone == "0912345678" and not named.anonymous


def test_anonymous_report_keeps_no_contact_details(seeded: Session) -> None:
    category = make_category(seeded, allow_anonymous=True)
    report = reports.submit(
        seeded,
        ANONYMOUS,
        data(seeded, category, anonymous=True, reporter_name="Lan", reporter_email="l@x.vn"),
        channel="app",
    )
    assert report.anonymous
    assert (report.reporter_name, report.reporter_phone, report.reporter_email) == ("", "", "")


def test_a_point_outside_the_province_is_refused_naming_the_field(seeded: Session) -> None:
    category = make_category(seeded)
    with pytest.raises(ValidationFailed) as caught:
        reports.submit(
            seeded, ANONYMOUS, data(seeded, category, lat=10.7769, lon=106.7009), channel="app"
        )
    assert fields_of(caught) == {"location"}


def test_an_address_and_commune_stand_in_for_a_point(seeded: Session) -> None:
    category = make_category(seeded)
    area = communes(seeded, 1)[0]
    with pytest.raises(ValidationFailed) as caught:
        reports.submit(seeded, ANONYMOUS, data(seeded, category, lat=None, lon=None), channel="app")
    assert fields_of(caught) == {"location"}
    report = reports.submit(
        seeded,
        ANONYMOUS,
        data(seeded, category, lat=None, lon=None, address="Tổ 5", area_code=area.code),
        channel="app",
    )
    assert report.area_code == area.code and report.h3_cell is None


def test_html_is_refused_and_every_bad_field_is_named_at_once(seeded: Session) -> None:
    category = make_category(seeded)
    with pytest.raises(ValidationFailed) as caught:
        reports.submit(
            seeded,
            ANONYMOUS,
            data(
                seeded,
                category,
                description="<script>alert(1)</script>",
                reporter_email="not-an-address",
            ),
            channel="app",
        )
    assert fields_of(caught) == {"description", "reporter_email"}
    assert caught.value.errors[0].message == "HTML is not allowed."


def test_unknown_or_inactive_category_is_refused(seeded: Session) -> None:
    category = make_category(seeded, is_active=False)
    with pytest.raises(ValidationFailed) as caught:
        reports.submit(seeded, ANONYMOUS, data(seeded, category), channel="app")
    assert fields_of(caught) == {"category"}


def test_attributes_are_checked_against_the_category(seeded: Session) -> None:
    category = make_category(
        seeded,
        attributes=[
            {
                "code": "size",
                "datatype": "singlevaluelist",
                "required": True,
                "values": [{"key": "small"}, {"key": "large"}],
            },
            {"code": "depth", "datatype": "number", "required": False},
        ],
    )
    with pytest.raises(ValidationFailed) as caught:
        reports.submit(
            seeded, ANONYMOUS, data(seeded, category, attributes={"depth": "deep"}), channel="app"
        )
    assert fields_of(caught) == {"attribute[size]", "attribute[depth]"}
    report = reports.submit(
        seeded,
        ANONYMOUS,
        data(seeded, category, attributes={"size": "large", "depth": "0,3", "other": "x"}),
        channel="app",
    )
    assert report.attributes == {"size": "large", "depth": "0,3"}


def test_more_than_five_photos_are_refused(seeded: Session, tmp_path: Path) -> None:
    category = make_category(seeded)
    store = FileStore(tmp_path)
    with pytest.raises(ValidationFailed) as caught:
        reports.submit(
            seeded,
            ANONYMOUS,
            data(seeded, category),
            channel="app",
            photos=[phone_jpeg()] * 6,
            store=store,
        )
    assert fields_of(caught) == {"photos"}
    assert not any(tmp_path.rglob("*.jpg"))


def test_a_stored_photo_has_no_gps_left(seeded: Session, tmp_path: Path) -> None:
    category = make_category(seeded)
    store = FileStore(tmp_path)
    original = phone_jpeg()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)
    report = reports.submit(
        seeded,
        ANONYMOUS,
        data(seeded, category),
        channel="app",
        photos=[original, original],
        store=store,
    )
    photos = seeded.scalars(select(ReportPhoto).where(ReportPhoto.report_id == report.id)).all()
    assert len(photos) == 2
    for photo in photos:
        kept = store.read(photo.key)
        assert not Image.open(io.BytesIO(kept)).getexif().get_ifd(GPS_IFD)
        assert b"SecretCam" not in kept


def test_a_broken_photo_refuses_the_report_and_keeps_no_file(
    seeded: Session, tmp_path: Path
) -> None:
    category = make_category(seeded)
    before = count(seeded, Report)
    with pytest.raises(ValidationFailed) as caught:
        reports.submit(
            seeded,
            ANONYMOUS,
            data(seeded, category),
            channel="app",
            photos=[phone_jpeg(), b"\xff\xd8\xffbroken"],
            store=FileStore(tmp_path),
        )
    assert fields_of(caught) == {"photos.1"}
    assert count(seeded, Report) == before
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_hotline_reports_are_typed_by_staff_for_the_caller(seeded: Session) -> None:
    category = make_category(seeded)
    citizen = person(seeded, "citizen")
    with pytest.raises(PermissionDenied):
        reports.submit(seeded, citizen, data(seeded, category), channel="hotline")
    operator = person(seeded, "operator")
    report = reports.submit(
        seeded, operator, data(seeded, category, reporter_name="Bà Hoa"), channel="hotline"
    )
    assert report.reporter_user_id is None and report.reporter_name == "Bà Hoa"
    assert report.channel == "hotline"
