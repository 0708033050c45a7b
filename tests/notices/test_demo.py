"""The demo's notices and alerts: realistic, current, marked as demo, loaded once."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.notices import service
from ioc.notices.demo import CAU_RIVER, seed_demo_notices
from ioc.notices.models import EmergencyAlert, Notice


def test_demo_notices_and_alerts(seeded: Session) -> None:
    assert seed_demo_notices(seeded) == 13
    assert seed_demo_notices(seeded) == 0  # idempotent
    assert seeded.scalar(select(func.count(Notice.id)).where(Notice.is_demo.is_(False))) == 0
    visible = service.public_notices(seeded, commune=None, limit=50)
    assert 6 <= len(visible) < 11  # commune notices and the expired one are not listed
    assert all(n.is_demo for n in visible)
    in_city = service.public_notices(seeded, commune="05443", limit=50)
    assert len(in_city) > len(visible)
    alerts = service.active_alerts(seeded)
    flood = service.alerts_for(alerts, CAU_RIVER[0])
    assert [a.title for a in flood] == ["Cảnh báo lũ trên sông Cầu"]
    assert service.alerts_for(alerts, "05503") == []  # Tân Cương, away from the river
    ended = seeded.scalars(select(EmergencyAlert).where(EmergencyAlert.status == "ended")).one()
    assert ended.is_demo
