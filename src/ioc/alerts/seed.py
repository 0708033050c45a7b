"""The rules' default settings and the standard operating procedures a province starts with;
and demo alerts (``ioc demo`` only) in every state, their procedures partly done."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.alerts import service
from ioc.alerts.models import Alert, AlertStep, Procedure, ProcedureStep
from ioc.db import utcnow
from ioc.kit.permissions import Actor, Grant

Progress = Callable[[str, int, int], None]

# (title, minutes after the alert is raised, responsible role or None)
PROCEDURES: dict[str, tuple[str, str, tuple[tuple[str, int, str | None], ...]]] = {
    "report_overdue": (
        "Phản ánh quá hạn",
        "Đôn đốc cơ quan đang giữ phản ánh xử lý và trả lời người dân.",
        (
            ("Kiểm tra nội dung, trạng thái và cơ quan đang giữ phản ánh", 30, "operator"),
            ("Gọi điện đôn đốc đầu mối của cơ quan xử lý", 120, "operator"),
            ("Cơ quan báo cáo nguyên nhân chậm và thời hạn hoàn thành mới", 480, "agency_head"),
            ("Theo dõi đến khi phản ánh được trả lời; ghi kết quả", 2880, "operator"),
        ),
    ),
    "report_spike": (
        "Đột biến phản ánh",
        "Nhiều phản ánh cùng loại tại một điểm trong thời gian ngắn: xác minh, điều phối, "
        "thông tin cho người dân.",
        (
            ("Xem các phản ánh trên bản đồ, xác định có phải cùng một sự việc", 15, "operator"),
            ("Xác minh tại hiện trường qua camera hoặc cán bộ địa phương", 30, "operator"),
            ("Thông báo cơ quan chuyên môn và UBND cấp xã liên quan", 60, "operator"),
            ("Gộp các phản ánh trùng về một phản ánh gốc", 120, "operator"),
            ("Báo cáo lãnh đạo nếu sự việc nghiêm trọng", 240, "leader"),
        ),
    ),
    "indicator_band": (
        "Chỉ số vượt ngưỡng",
        "Một chỉ số chuyển sang vùng cảnh báo hoặc xấu: kiểm tra số liệu, tìm nguyên nhân, "
        "đề xuất biện pháp.",
        (
            ("Kiểm tra số liệu và nguồn dữ liệu của chỉ số", 240, "operator"),
            ("Liên hệ cơ quan phụ trách chỉ số để làm rõ nguyên nhân", 1440, "operator"),
            ("Cơ quan phụ trách đề xuất biện pháp khắc phục", 4320, "agency_head"),
            ("Báo cáo lãnh đạo trong báo cáo tuần", 10080, "leader"),
        ),
    ),
}


def _noop(_label: str, _done: int, _total: int) -> None:
    return None


def seed_alerts(session: Session, *, progress: Progress = _noop) -> None:
    """Idempotent: rules get their defaults once; a procedure is created only if missing, so
    an administrator's edits survive a re-seed."""
    for code in service.RULES:
        service.rule_settings(session, code)
    for i, (rule, (name, description, steps)) in enumerate(PROCEDURES.items(), start=1):
        if session.scalar(select(Procedure.id).where(Procedure.rule == rule)) is None:
            procedure = Procedure(rule=rule, name=name, description=description)
            session.add(procedure)
            session.flush()
            for position, (title, minutes, role) in enumerate(steps, start=1):
                session.add(
                    ProcedureStep(
                        procedure_id=procedure.id,
                        position=position,
                        title=title,
                        due_minutes=minutes,
                        role=role,
                    )
                )
        progress("alert procedures", i, len(PROCEDURES))
    session.flush()


DEMO_OPERATOR = Actor(display_name="Trực ban IOC (demo)", grants=(Grant("operator"),), kind="user")


def seed_demo_alerts(session: Session, *, progress: Progress = _noop) -> None:
    """A few alerts in different states, marked demo; idempotent by their dedupe keys."""
    from ioc.areas.models import Agency
    from ioc.reports.models import Report

    seed_alerts(session)
    now = utcnow()
    reports = session.execute(
        select(
            Report.code,
            Report.area_code,
            Report.lat,
            Report.lon,
            Report.h3_cell,
            Report.resolve_due_at,
            Agency.code,
        )
        .outerjoin(Agency, Agency.id == Report.agency_id)
        .where(
            Report.is_demo.is_(True),
            Report.lat.is_not(None),
            Report.resolved_at.is_(None),
            Report.closed_at.is_(None),
            Report.resolve_due_at < now,
        )
        .order_by(Report.resolve_due_at.desc())
        .limit(2)
    ).all()
    agency = session.scalar(
        select(Agency.code).where(Agency.is_active.is_(True)).order_by(Agency.id)
    )
    specs: list[dict[str, Any]] = []
    for i, (code, area, lat, lon, cell, due, agency_code) in enumerate(reports):
        specs.append(
            dict(
                rule="report_overdue",
                key=f"demo:report_overdue:{code}",
                title=f"Report {code} is overdue (resolve)",
                severity="warning",
                subject_type="report",
                subject_id=code,
                cause={
                    "agency": agency_code,
                    "reports": {
                        code: {
                            "stage": "resolve",
                            "due": due.isoformat() if due else None,
                            "area": area,
                        }
                    },
                },
                area=area,
                lat=lat,
                lon=lon,
                cell=cell,
                age=timedelta(hours=3 + 20 * i),
            )
        )
    # The busiest cell and category of the demo reports stands in for a burst.
    busiest = session.execute(
        select(Report.h3_cell, Report.category_id, func.count())
        .where(Report.is_demo.is_(True), Report.h3_cell.is_not(None))
        .group_by(Report.h3_cell, Report.category_id)
        .order_by(func.count().desc(), Report.h3_cell)
        .limit(1)
    ).first()
    if busiest is not None:
        cell, category_id, _n = busiest
        burst = session.execute(
            select(Report.code, Report.area_code, Report.lat, Report.lon)
            .where(Report.h3_cell == cell, Report.category_id == category_id)
            .order_by(Report.submitted_at.desc())
            .limit(6)
        ).all()
        specs.append(
            dict(
                rule="report_spike",
                key=f"demo:report_spike:{cell}",
                title=f"{len(burst)} reports of one category in one place within an hour",
                severity="warning",
                subject_type="h3_cell",
                subject_id=cell,
                cause={
                    "cell": cell,
                    "category_id": category_id,
                    "count": len(burst),
                    "mean": 0.02,
                    "sd": 0.15,
                    "history_weeks": 8,
                    "reports": [r[0] for r in burst],
                },
                area=burst[0][1],
                lat=burst[0][2],
                lon=burst[0][3],
                cell=cell,
                age=timedelta(minutes=40),
            )
        )
    specs.append(
        dict(
            rule="indicator_band",
            key="demo:indicator_band:reports.on_time",
            title="Indicator reports.on_time moved into the bad band",
            severity="critical",
            subject_type="indicator",
            subject_id="reports.on_time",
            cause={"indicator": "reports.on_time", "old_band": "warning", "new_band": "bad"},
            area="19",
            lat=None,
            lon=None,
            cell=None,
            age=timedelta(hours=26),
        )
    )
    # States, in order: open; acknowledged with steps done; assigned; resolved.
    for i, spec in enumerate(specs):
        alert = service.raise_alert(
            session,
            rule=str(spec["rule"]),
            dedupe_key=str(spec["key"]),
            title=str(spec["title"]),
            severity=str(spec["severity"]),
            subject_type=str(spec["subject_type"]),
            subject_id=str(spec["subject_id"] or ""),
            cause=spec["cause"],
            area_code=spec["area"],
            h3_cell=spec["cell"],
            lat=spec["lat"],
            lon=spec["lon"],
            now=now - spec["age"],
            is_demo=True,
        )
        if alert is None:
            continue
        steps = session.scalars(
            select(AlertStep).where(AlertStep.alert_id == alert.id).order_by(AlertStep.position)
        ).all()
        at = alert.raised_at
        if i % 4 >= 1:
            service.acknowledge(session, DEMO_OPERATOR, alert, now=at + timedelta(minutes=5))
            for step in steps[: 1 + i % 4]:
                service.tick_step(
                    session,
                    DEMO_OPERATOR,
                    alert,
                    step.id,
                    note="Đã thực hiện (dữ liệu minh hoạ).",
                    now=min(at + timedelta(minutes=10 * step.position), now),
                )
        if i % 4 == 2 and agency:
            service.assign(
                session,
                DEMO_OPERATOR,
                alert,
                agency_code=agency,
                note="Giao cơ quan chuyên môn xử lý.",
                now=min(at + timedelta(minutes=30), now),
            )
        if i % 4 == 3:
            service.resolve(
                session,
                DEMO_OPERATOR,
                alert,
                "Đã làm rõ nguyên nhân và có biện pháp khắc phục (dữ liệu minh hoạ).",
                now=min(at + timedelta(hours=2), now),
            )
        progress("demo alerts", i + 1, len(specs))
    session.flush()


__all__ = ["PROCEDURES", "Alert", "seed_alerts", "seed_demo_alerts"]
