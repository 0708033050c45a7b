"""The open-alert count on the console's "Alerts" menu entry, on every console page.

A page-context provider (web.templating.register_page_context): one indexed count of the
actor's unresolved alerts (the partial index of unresolved alerts), and never a broken page."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from ioc.kit.permissions import Actor, can

from .models import Alert
from .service import UNRESOLVED, visible_filter

log = logging.getLogger(__name__)

URL = "/console/alerts"


def open_count(session: Any, actor: Actor) -> tuple[int, bool]:
    """How many unresolved alerts the actor sees, and whether one of them is critical."""
    where = visible_filter(actor)
    query = select(func.count(), func.count().filter(Alert.severity == "critical")).where(
        UNRESOLVED
    )
    if where is not None:
        query = query.where(where)
    total, critical = session.execute(query).one()
    return int(total or 0), bool(critical)


def nav_badge(request: Request, actor: Actor, face: str) -> dict[str, Any]:
    if face != "console" or not actor.is_authenticated or not can(actor, "alerts.view"):
        return {}
    try:
        with request.app.state.db.session(write=False) as session:
            count, critical = open_count(session, actor)
    except SQLAlchemyError:
        log.warning("alerts: could not count open alerts", exc_info=True)
        return {}
    if not count:
        return {}
    return {"nav_badge_alerts": {"url": URL, "count": count, "tone": "bad" if critical else "warn"}}
