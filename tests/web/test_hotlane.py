"""The hot lane (ioc.web.hotlane): a module's hot routes skip FastAPI's middleware chain but
keep what every request must have: request id, security headers, metrics, access log, NUL
scrubbing and the app's error answers."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ioc.errors import NotFound
from ioc.web.hotlane import HotLane

SEEN: dict[str, object] = {}


async def echo(request: Request) -> Response:
    body = await request.body()
    SEEN["query"] = request.url.query
    SEEN["path_params"] = dict(request.path_params)
    return JSONResponse({"got": body.decode(), "name": request.path_params["name"]})


async def missing(request: Request) -> Response:
    raise NotFound("service_code {code} was not found.", code="nope")


async def broken(request: Request) -> Response:
    raise RuntimeError("a bug in a hot route")


ROUTES = [
    Route("/hot/echo/{name}", echo, methods=["POST"]),
    Route("/hot/missing", missing, methods=["POST"]),
    Route("/hot/broken", broken, methods=["POST"]),
]


@pytest.fixture()
def hot_client(app: FastAPI) -> TestClient:
    app.hot_lane = HotLane([*app.hot_lane.routes, *ROUTES])  # type: ignore[attr-defined]
    return TestClient(app, raise_server_exceptions=False)


def _count(route: str, status: str) -> float:
    value = REGISTRY.get_sample_value(
        "ioc_http_requests_total", {"method": "POST", "route": route, "status": status}
    )
    return value or 0.0


def test_a_hot_route_has_the_request_context_of_every_request(
    hot_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    before = _count("/hot/echo/{name}", "200")
    with caplog.at_level(logging.INFO, logger="ioc.access"):
        response = hot_client.post("/hot/echo/an?x=1%00", content=b"payload")
    assert response.status_code == 200
    assert response.json() == {"got": "payload", "name": "an"}
    assert SEEN["path_params"] == {"name": "an"}
    assert SEEN["query"] == "x=1"  # NUL dropped at the door, as for every request
    headers = response.headers
    assert len(headers["x-request-id"]) == 16
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in headers["content-security-policy"]
    assert _count("/hot/echo/{name}", "200") == before + 1
    logged = [r for r in caplog.records if r.name == "ioc.access"]
    assert logged and logged[-1].__dict__["path"] == "/hot/echo/an"
    assert logged[-1].__dict__["status"] == 200


def test_an_error_in_a_hot_route_is_answered_like_everywhere(hot_client: TestClient) -> None:
    response = hot_client.post("/hot/missing", headers={"accept": "application/json"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response.headers["x-request-id"]


def test_an_unexpected_error_is_logged_and_answered_500(
    hot_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = hot_client.post("/hot/broken", headers={"accept": "application/json"})
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert any(r.exc_info and "a bug in a hot route" in str(r.exc_info[1]) for r in caplog.records)
    assert _count("/hot/broken", "500") >= 1


def test_other_methods_and_paths_go_down_the_usual_chain(hot_client: TestClient) -> None:
    # GET on a hot path is not the hot route's: FastAPI answers (405 or its own route).
    response = hot_client.get("/hot/echo/an", headers={"accept": "application/json"})
    assert response.status_code in (404, 405)
    assert response.json()["error"]["code"] in ("not_found", "method_not_allowed")
    # The Open311 list shares its path with the hot POST and is still FastAPI's route.
    listed = hot_client.get("/open311/v2/requests.json")
    assert listed.status_code == 200 and isinstance(listed.json(), list)


def test_the_open311_post_is_served_down_the_hot_lane(app: FastAPI) -> None:
    lane = app.hot_lane  # type: ignore[attr-defined]
    assert [r.path for r in lane.routes] == ["/open311/v2/requests.{fmt}"]
    scope = {"type": "http", "method": "POST", "path": "/open311/v2/requests.xml"}
    assert lane.match(scope) and scope["path_params"] == {"fmt": "xml"}
    assert not lane.match({"type": "http", "method": "GET", "path": "/open311/v2/requests.xml"})
    # Not also in FastAPI's router, where nothing would reach it.
    assert all(getattr(r, "endpoint", None) is not lane.routes[0].endpoint for r in app.routes)
