"""The application core: health, readiness, metrics, errors, headers, settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ioc.config import ConfigError, Settings


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_reports_database_and_migrations(client: TestClient) -> None:
    body = client.get("/readyz").json()
    assert body == {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}}


def test_metrics_are_prometheus_text(client: TestClient) -> None:
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert "ioc_http_requests_total" in response.text
    assert 'route="/healthz"' in response.text


def test_security_headers_on_pages(client: TestClient) -> None:
    response = client.get("/signin")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-request-id"]


def test_unknown_page_is_a_friendly_404_page(client: TestClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "Không tìm thấy trang" in response.text


def test_unknown_api_route_is_json(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        Settings(env="production", data_dir=tmp_path, secret_key="")


def test_secret_key_is_generated_once_into_the_data_directory(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).resolved_secret_key
    second = Settings(data_dir=tmp_path).resolved_secret_key
    assert first == second and len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_openapi_document_is_served(client: TestClient) -> None:
    doc = client.get("/api/openapi.json").json()
    assert "/api/v1/areas" in doc["paths"]


def test_readme_lists_every_setting() -> None:
    from ioc.config import describe_settings

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    missing = [name for name, _, _ in describe_settings() if f"`{name}`" not in readme]
    assert missing == [], "run `ioc config` and paste the table into the README"


def test_nul_in_a_query_or_path_is_dropped_not_a_500(client: TestClient) -> None:
    response = client.get("/api/v1/reports", params={"category": "road\x00pothole"})
    assert response.status_code == 200
    assert client.get("/api/v1/reports/PA-2026%00-1").status_code == 404
