"""Seeding: every module's seed in order, then the demo accounts. Idempotent."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.db import Database
from ioc.kit import auth
from ioc.kit.module import Module
from ioc.modules import installed_modules

DEMO_PASSWORD = "demo-ioc-2026"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    full_name: str
    role: str
    agency: str | None
    lands_on: str


DEMO_ACCOUNTS = (
    DemoAccount("quantri@demo.ioc.vn", "Nguyễn Quản Trị", "administrator", None, "/admin"),
    DemoAccount("lanhdao@demo.ioc.vn", "Trần Thị Lãnh Đạo", "leader", None, "/console"),
    DemoAccount("vanhanh@demo.ioc.vn", "Lê Văn Vận Hành", "operator", None, "/console"),
    DemoAccount("truongphong@demo.ioc.vn", "Phạm Minh Trưởng", "agency_head", "SXD", "/console"),
    DemoAccount("canbo@demo.ioc.vn", "Hoàng Thu Cán Bộ", "officer", "SXD", "/console"),
    DemoAccount("congdan@demo.ioc.vn", "Đỗ Thị Công Dân", "citizen", None, "/"),
)

ProgressFn = Callable[[str, int, int], None]


def console_progress(label: str, done: int, total: int) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    sys.stdout.write(f"\r  {label:<12} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        sys.stdout.write("\n")
    sys.stdout.flush()


def _quiet(_label: str, _done: int, _total: int) -> None:
    return None


def seeding_order(modules: list[Module]) -> list[Module]:
    """The installed order, except that a module comes after those it names in ``seed_after``
    (its seed and its demo read what they made: the indicators' demo computes the citizen
    app's usage figures, so it runs after the portal's demo). Stable; unknown names ignored."""
    names = {m.name for m in modules}
    done: set[str] = set()
    ordered: list[Module] = []
    pending = list(modules)
    while pending:
        ready = [m for m in pending if all(d in done or d not in names for d in m.seed_after)]
        if not ready:
            raise RuntimeError(
                "seed_after has a cycle among: " + ", ".join(m.name for m in pending)
            )
        first = ready[0]
        ordered.append(first)
        done.add(first.name)
        pending.remove(first)
    return ordered


def seed_modules(session: Session, *, progress: ProgressFn = _quiet) -> None:
    for module in seeding_order(installed_modules()):
        if module.seed is not None:
            module.seed(session, progress=progress)


def seed_demo_accounts(session: Session) -> list[DemoAccount]:
    for account in DEMO_ACCOUNTS:
        user = session.scalar(select(auth.User).where(auth.User.email == account.email))
        if user is None:
            user = auth.create_user(
                session,
                email=account.email,
                password=DEMO_PASSWORD,
                full_name=account.full_name,
                is_demo=True,
            )
        auth.grant_role(
            session, user, account.role, scope_ref=account.agency if account.agency else None
        )
    return list(DEMO_ACCOUNTS)


def seed_all(db: Database, *, demo: bool, progress: ProgressFn = _quiet) -> None:
    with db.session() as session:
        seed_modules(session, progress=progress)
        if demo:
            seed_demo_accounts(session)
    if demo:
        # Demo records come after the accounts (officers handle the demo reports), each
        # module in its own unit of work.
        for module in seeding_order(installed_modules()):
            if module.demo is not None:
                with db.session() as session:
                    module.demo(session, progress=progress)
