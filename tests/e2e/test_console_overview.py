"""The leader opens the console overview on a 1920×1080 screen: figures, a filled map, the live
feed; an event recorded while the page is open appears without a reload."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from ioc.seed import DEMO_PASSWORD


def _sign_in(page: Page, email: str) -> None:
    page.goto("/signin")
    page.get_by_label("Thư điện tử").fill(email)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def _citizen_files_a_report(live_server: str) -> str:
    """A citizen files a report through the JSON API, as the app does; returns its code."""
    with httpx.Client(base_url=live_server, timeout=10, follow_redirects=False) as client:
        page = client.get("/signin")
        token = re.search(r'name="csrf_token"\s+value="([^"]+)"', page.text)
        assert token
        client.post(
            "/signin",
            data={
                "email": "congdan@demo.ioc.vn",
                "password": DEMO_PASSWORD,
                "csrf_token": token.group(1),
            },
        )
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").text)
        assert csrf
        category = client.get("/api/v1/categories").json()[0]["code"]
        response = client.post(
            "/api/v1/reports",
            json={
                "category_code": category,
                "lat": 21.5942,
                "lon": 105.848,
                "description": "Nước ngập sâu 30 cm trước cổng chợ Thái, xe máy không qua được.",
            },
            headers={"X-CSRF-Token": csrf.group(1)},
        )
        assert response.status_code == 201, response.text
        return str(response.json()["code"])


def test_leader_sees_the_province_live_at_1920(
    page: Page, live_server: str, screenshot_dir: Path
) -> None:
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            outside.append(r.url) if not r.url.startswith((live_server, "data:", "blob:")) else None
        ),
    )
    page.set_viewport_size({"width": 1920, "height": 1080})
    _sign_in(page, "lanhdao@demo.ioc.vn")
    expect(page).to_have_url(f"{live_server}/console")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tổng quan")
    # The figures from the demo's reports.
    figures = page.locator("#ov-figures .tile")
    expect(figures).to_have_count(5)
    expect(page.locator("#ov-figures")).to_contain_text("Phản ánh đang xử lý")
    open_value = page.locator("#ov-figures .tile").first.locator(".tile__value").inner_text()
    assert open_value.replace(".", "").isdigit() and int(open_value.replace(".", "")) > 0
    # A filled map: the communes, the heat cells and the open reports.
    page.wait_for_function(
        "document.querySelector('[data-ioc-map]').iocMap && "
        "Object.keys(document.querySelector('[data-ioc-map]').iocMap.layers).length >= 5",
        timeout=15_000,
    )
    heat = page.locator(".leaflet-overlay-pane path, .leaflet-iocOverlays-pane path")
    assert heat.count() > 20
    assert page.locator(".leaflet-control-layers").count() == 1
    # The live feed is connected.
    expect(page.locator("[data-live-status]")).to_have_attribute(
        "data-state", "live", timeout=10_000
    )
    # No scrolling on the wall screen.
    assert page.evaluate("document.documentElement.scrollHeight") <= 1080 + 1

    page.evaluate("window.__sameDocument = true")
    received = page.locator('#ov-figures [data-code="reports.received"] .tile__value')
    before = int(received.inner_text().replace(".", ""))
    code = _citizen_files_a_report(live_server)
    item = page.locator("[data-live-list] li", has_text=code).first
    expect(item).to_be_visible(timeout=5_000)
    expect(item.locator("a")).to_have_attribute("href", f"/console/reports/{code}")
    expect(item.locator(".badge")).to_contain_text("Thông tin")
    # The figures follow: the report counts among those received today.
    expect(page.locator('#ov-figures [data-code="reports.received"] .tile__value')).to_have_text(
        str(before + 1), timeout=10_000
    )
    assert page.evaluate("window.__sameDocument === true")  # no reload happened
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshot_dir / "console-overview-1920.png"))
    assert outside == []


def test_the_wall_at_3840_has_no_sidebar_and_no_scrolling(
    page: Page, live_server: str, screenshot_dir: Path
) -> None:
    page.set_viewport_size({"width": 3840, "height": 2160})
    _sign_in(page, "lanhdao@demo.ioc.vn")
    page.goto("/console?wall=1")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(page.locator(".sidebar")).to_be_hidden()
    page.wait_for_function(
        "document.querySelector('[data-ioc-map]').iocMap && "
        "Object.keys(document.querySelector('[data-ioc-map]').iocMap.layers).length >= 5",
        timeout=15_000,
    )
    expect(page.locator("[data-live-status]")).to_have_attribute(
        "data-state", "live", timeout=10_000
    )
    assert page.evaluate("document.documentElement.scrollHeight") <= 2160 + 1
    # Everything is drawn at twice the size, not left small in a corner.
    assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") >= 30
    page.screenshot(path=str(screenshot_dir / "console-wall-3840.png"))


def test_agency_head_sees_the_agency_picture(page: Page, live_server: str) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    _sign_in(page, "truongphong@demo.ioc.vn")
    expect(page).to_have_url(f"{live_server}/console")
    expect(page.locator(".ov-scope")).not_to_contain_text("Toàn tỉnh")
    expect(page.locator("#ov-figures .tile")).to_have_count(5)
