"""Every role against every protected route of the foundation: who gets in, who does not."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import make_user, sign_in

ROLES = ("anonymous", "citizen", "officer", "agency_head", "operator", "leader", "administrator")
STAFF = {"officer", "agency_head", "operator", "leader", "administrator"}
ADMIN = {"administrator"}

# route → roles allowed (everyone else: anonymous is sent to sign in, others get 403)
MATRIX: dict[str, set[str]] = {
    "/console": STAFF,
    "/console/events": STAFF,
    "/console/messages": {"operator", "administrator"},
    "/admin": ADMIN,
    "/admin/users": ADMIN,
    "/admin/users/new": ADMIN,
    "/admin/agencies": ADMIN,
    "/admin/agencies/new": ADMIN,
    "/admin/agencies/SXD": ADMIN,
    "/admin/areas": ADMIN,
    "/admin/api-keys": ADMIN,
    "/admin/calendar": ADMIN,
    "/admin/audit": ADMIN,
}


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client: TestClient, seeded: Session, role: str) -> None:
    if role != "anonymous":
        user = make_user(seeded, role, agency="SXD" if role in ("officer", "agency_head") else None)
        assert sign_in(client, user.email).status_code == 303  # type: ignore[attr-defined]
    for path, allowed in MATRIX.items():
        response = client.get(path)
        if role in allowed:
            expected = 200
        elif role == "anonymous":
            expected = 303
        else:
            expected = 403
        assert response.status_code == expected, f"{role} GET {path}: {response.status_code}"
        if expected == 303:
            assert response.headers["location"].startswith("/signin")


def test_denials_are_audited(client: TestClient, seeded: Session) -> None:
    from sqlalchemy import select

    from ioc.kit.audit import AuditEntry

    user = make_user(seeded, "citizen")
    sign_in(client, user.email)  # type: ignore[attr-defined]
    assert client.get("/admin/users").status_code == 403
    entry = seeded.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "permission.denied")
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry is not None
    assert entry.actor_id == user.id  # type: ignore[attr-defined]
    assert entry.detail["permission"] == "users.manage"


def test_public_pages_are_open(client: TestClient, seeded: Session) -> None:
    for path in ("/", "/signin", "/healthz", "/api/v1/areas", "/geo/province.geojson"):
        assert client.get(path).status_code == 200, path
