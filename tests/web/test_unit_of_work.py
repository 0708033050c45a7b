"""A request's unit of work commits in the worker thread that ran the route, so no pooled
connection is held while the request waits for another thread (which starved the pool under
load: every thread waiting for a connection, every connection waiting for a thread)."""

from __future__ import annotations

import threading
import traceback

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

import ioc.areas.api as areas_api


def test_sync_route_commits_in_its_own_thread(
    client: TestClient, seeded: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, int, str]] = []
    original_commit = Session.commit
    original_communes = areas_api.service.communes

    def commit(self: Session) -> None:
        seen.append(("commit", threading.get_ident(), traceback.extract_stack()[-2].name))
        original_commit(self)

    def communes(session: Session):  # type: ignore[no-untyped-def]
        seen.append(("route", threading.get_ident(), ""))
        return original_communes(session)

    monkeypatch.setattr(Session, "commit", commit)
    monkeypatch.setattr(areas_api.service, "communes", communes)
    assert client.get("/api/v1/areas").status_code == 200
    route_thread = next(t for kind, t, _ in seen if kind == "route")
    assert ("commit", route_thread, "wrapper") in seen
