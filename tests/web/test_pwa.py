"""The citizen app as an installable web app, over real HTTP: the manifest, the service worker,
the offline page, cache headers and compression, and the JSON answer given to reports sent
from the phone's outbox (exactly once per idempotency key)."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.reports.models import Report
from ioc.reports.seed import seed_categories
from tests.conftest import make_user, sign_in

POINT = {"lat": "21.5942", "lon": "105.8482"}


def test_manifest_names_the_app_and_its_icons(client: TestClient) -> None:
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["name"] == "C-ThaiNguyen"
    assert manifest["lang"] == "vi"
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#0d2c4f"
    purposes = {(i["sizes"], i.get("purpose", "any")) for i in manifest["icons"]}
    assert purposes == {
        ("192x192", "any"),
        ("512x512", "any"),
        ("192x192", "maskable"),
        ("512x512", "maskable"),
    }
    for icon in manifest["icons"]:
        png = client.get(icon["src"])
        assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    # The English switch applies to the manifest too.
    client.get("/lang/en?next=/")
    english = client.get("/manifest.webmanifest").json()
    assert english["lang"] == "en"
    assert english["shortcuts"][0]["name"] == "Report a problem"


def test_service_worker_is_served_from_the_root_with_a_versioned_shell(
    client: TestClient,
) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["service-worker-allowed"] == "/"
    assert response.headers["cache-control"] == "no-cache"
    match = re.search(r"var CONFIG = (\{.*?\});", response.text)
    assert match
    config = json.loads(match.group(1))
    version = config["version"]
    assert re.fullmatch(r"[0-9a-f]{12}", version)
    assert f"/static/css/ioc.css?v={version}" in config["shell"]
    assert "/static/js/outbox.js?v=" + version in config["shell"]
    for url in config["shell"]:
        assert client.get(url).status_code == 200, url
    # Never the personal pages: only the offline page and the (anonymous) report form.
    assert config["pages"] == ["/offline", "/reports/new"]
    # Pages link the same versioned files, so the worker's cache and the pages agree.
    home = client.get("/")
    assert f'href="/static/css/ioc.css?v={version}"' in home.text
    assert 'src="/static/js/outbox.js?v=' + version in home.text
    assert 'rel="manifest"' in home.text and "apple-touch-icon" in home.text


def test_static_files_cache_headers_and_compression(client: TestClient) -> None:
    versioned = client.get("/static/css/ioc.css?v=abc", headers={"Accept-Encoding": "gzip"})
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert versioned.headers["content-encoding"] == "gzip"
    plain = client.get("/static/js/ioc.js")
    assert plain.headers["cache-control"] == "no-cache"
    font = client.get("/static/vendor/fonts/be-vietnam-pro-vietnamese-400-normal.woff2")
    if font.status_code == 200:  # vendored files are built by `npm run vendor`
        assert font.headers["cache-control"] == "public, max-age=2592000"
        assert "content-encoding" not in font.headers  # already compressed
    page = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
    assert "immutable" not in page.headers.get("cache-control", "")
    missing = client.get("/static/nothing.css?v=abc")
    assert missing.status_code == 404 and "immutable" not in missing.headers.get(
        "cache-control", ""
    )


def test_offline_page_is_in_vietnamese_and_not_stored(client: TestClient) -> None:
    response = client.get("/offline")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "Không có kết nối mạng" in response.text
    assert "data-outbox" in response.text


def test_outbox_send_returns_json_and_files_once(client: TestClient, seeded: Session) -> None:
    seed_categories(seeded)
    seeded.commit()
    citizen = make_user(seeded, "citizen")
    sign_in(client, citizen.email)  # type: ignore[attr-defined]
    token = client.get("/csrf-token").json()["token"]
    headers = {"X-CSRF-Token": token, "X-IOC-Outbox": "queued"}
    fields = {
        "category_code": "road.pothole",
        "description": "Ổ gà sâu trước chợ, gửi lúc không có mạng.",
        "idempotency_key": "4b9c1c2e-1f0a-4b51-9d7e-0e2f3c4d5e6f",
        **POINT,
    }
    first = client.post("/reports/new", data=fields, headers=headers)
    assert first.status_code == 201
    code = first.json()["code"]
    assert re.fullmatch(r"PA-\d{4}-\d{6}", code)
    assert "ioc_flash" not in first.headers.get("set-cookie", "")  # sent in the background
    # The phone did not get the answer and sends it again: the same report, not a second one.
    second = client.post("/reports/new", data=fields, headers=headers)
    assert second.status_code == 201 and second.json()["code"] == code
    count = seeded.scalar(
        select(func.count())
        .select_from(Report)
        .where(Report.description == "Ổ gà sâu trước chợ, gửi lúc không có mạng.")
    )
    assert count == 1
    # A refused report says which field, in Vietnamese, as JSON.
    bad = client.post(
        "/reports/new",
        data={**fields, "category_code": "", "idempotency_key": "other-key"},
        headers=headers,
    )
    assert bad.status_code == 422
    body = bad.json()
    assert body["errors"] and body["message"]
    assert any("lĩnh vực" in text.lower() for text in body["errors"].values())
    # Without the token the request is refused like any other.
    refused = client.post("/reports/new", data=fields, headers={"X-IOC-Outbox": "queued"})
    assert refused.status_code == 403


def test_csrf_token_endpoint_gives_a_first_visitor_a_usable_token(client: TestClient) -> None:
    response = client.get("/csrf-token")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store, private"
    assert "ioc_anon=" in response.headers["set-cookie"]
    token = response.json()["token"]
    # The token is bound to the anonymous id just set: the language switch (a POST-free
    # page) is not enough, so check it against a real form POST that needs CSRF.
    sent = client.post("/signout", headers={"X-CSRF-Token": token})
    assert sent.status_code in (302, 303)


def test_reporter_actions_refused_come_back_to_the_report_page(
    client: TestClient, seeded: Session
) -> None:
    seed_categories(seeded)
    seeded.commit()
    citizen = make_user(seeded, "citizen")
    sign_in(client, citizen.email)  # type: ignore[attr-defined]
    token = client.get("/csrf-token").json()["token"]
    sent = client.post(
        "/reports/new",
        data={"category_code": "road.pothole", "description": "Ổ gà trước nhà văn hóa.", **POINT},
        headers={"X-CSRF-Token": token, "X-IOC-Outbox": "interactive"},
    )
    code = sent.json()["code"]
    # Reopening needs a reason: said beside the report, nothing changed.
    empty = client.post(
        f"/reports/{code}/reopen", data={"reason": " "}, headers={"X-CSRF-Token": token}
    )
    assert empty.status_code == 303 and empty.headers["location"] == f"/reports/{code}"
    page = client.get(f"/reports/{code}")
    assert "Hãy cho biết vấn đề còn tồn tại" in page.text and 'role="alert"' in page.text
    # Rating a report that has no answer yet is refused the same way, not with an error page.
    early = client.post(
        f"/reports/{code}/rate", data={"rating": "5"}, headers={"X-CSRF-Token": token}
    )
    assert early.status_code == 303
    assert 'role="alert"' in client.get(f"/reports/{code}").text
    assert seeded.scalar(select(Report.rating).where(Report.code == code)) is None
