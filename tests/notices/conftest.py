"""Builders for notices tests: people, notices and alerts made through the service."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.areas.models import Area
from ioc.db import utcnow
from ioc.kit import auth, permissions
from ioc.kit.permissions import Actor
from ioc.notices import service
from ioc.notices.models import EmergencyAlert, Notice
from tests.conftest import make_user


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    """No denial hook from an earlier test's app, and no alerts cached from another test."""
    saved = list(permissions._denial_hooks)
    permissions._denial_hooks.clear()
    service.clear_alert_cache()
    yield
    service.clear_alert_cache()
    permissions._denial_hooks[:] = saved


def communes(session: Session, n: int = 2) -> list[Area]:
    return list(
        session.scalars(
            select(Area).where(Area.kind != "province").order_by(Area.code).limit(n)
        ).all()
    )


def person(session: Session, role: str, agency_code: str | None = None) -> Actor:
    user = make_user(session, role, agency=agency_code)
    return auth.actor_for(session, user)  # type: ignore[arg-type]


def make_notice(
    session: Session,
    actor: Actor,
    *,
    publish: bool = True,
    areas: tuple[str, ...] = (),
    title: str = "Thông báo cắt nước",
    **fields: Any,
) -> Notice:
    data = service.NoticeInput(
        title=title,
        body=fields.pop("body", "<p>Tạm ngừng cấp nước từ 8 giờ đến 16 giờ.</p>"),
        area_codes=areas,
        **fields,
    )
    notice = service.save_notice(session, actor, data)
    if publish:
        service.publish(session, actor, notice)
    session.flush()
    return notice


def make_alert(
    session: Session,
    actor: Actor,
    *,
    areas: tuple[str, ...] = (),
    severity: str = "danger",
    title: str = "Cảnh báo lũ trên sông Cầu",
    hours: float = 6,
) -> EmergencyAlert:
    alert = service.publish_alert(
        session,
        actor,
        service.AlertInput(
            title=title,
            message="Không qua lại ngầm, tràn.",
            severity=severity,
            area_codes=areas,
            ends_at=utcnow() + timedelta(hours=hours),
        ),
    )
    session.flush()
    return alert
