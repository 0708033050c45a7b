"""On a phone: an operator writes, previews and publishes a notice in the console; a citizen
reads it in the portal; the emergency banner of the demo's flood warning shows with a commune
on the Cầu river chosen, and not with another commune; it can be dismissed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from ioc.seed import DEMO_PASSWORD

PHONE: dict[str, Any] = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
}
ON_THE_RIVER = "05443"  # Phường Phan Đình Phùng, targeted by the demo's flood warning
ELSEWHERE = "05503"  # Xã Tân Cương, not targeted
FLOOD = "Cảnh báo lũ trên sông Cầu"


@pytest.fixture(scope="module")
def notices_server(live_server: str) -> str:
    return live_server


def _phone(browser: Browser, base: str) -> BrowserContext:
    return browser.new_context(base_url=base, **PHONE)


def _sign_in(page: Page, email: str) -> None:
    page.goto("/signin")
    page.locator("#field-email").fill(email)
    page.locator("#field-password").fill(DEMO_PASSWORD)
    page.locator("form:has(#field-email) button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/signin"))


def test_operator_publishes_and_citizen_reads(
    browser: Browser, notices_server: str, screenshot_dir: Path
) -> None:
    title = "Thông báo tạm ngừng cấp nước phường Gia Sàng"
    operator_ctx = _phone(browser, notices_server)
    operator = operator_ctx.new_page()
    _sign_in(operator, "vanhanh@demo.ioc.vn")
    operator.goto("/console/notices/new")
    operator.get_by_label("Tiêu đề", exact=True).fill(title)
    operator.locator("#field-summary").fill("Thay đường ống chính trên đường Z115.")
    # The editor's toolbar writes the safe tags; the HTML view takes whatever is pasted.
    editor = operator.locator("#field-body-editor")
    editor.click()
    operator.keyboard.type("Thời gian")
    operator.get_by_role("button", name="Tiêu đề mục").click()
    operator.keyboard.press("End")
    operator.keyboard.press("Enter")
    operator.get_by_role("button", name="Đoạn văn").click()
    operator.keyboard.type("Từ ")
    operator.get_by_role("button", name="Chữ đậm").click()
    operator.keyboard.type("8 giờ đến 16 giờ")
    operator.get_by_role("button", name="Chữ đậm").click()
    operator.keyboard.type(" Chủ nhật.")
    operator.get_by_role("button", name="HTML").click()
    source = operator.locator("textarea#field-body")
    expect(source).to_be_visible()
    source.fill(
        source.input_value()
        + '<p onclick="alert(1)">Xin lỗi vì sự bất tiện.</p><script>alert(2)</script>'
    )
    operator.get_by_role("button", name="Xem trước").click()
    preview = operator.locator(".notice-preview .rich-text")
    expect(preview.locator("h2")).to_have_text("Thời gian")
    expect(preview.locator("b, strong")).to_have_text("8 giờ đến 16 giờ")
    assert "onclick" not in preview.inner_html() and "script" not in preview.inner_html()
    operator.screenshot(
        path=str(screenshot_dir / "notices-console-preview-360.png"), full_page=True
    )
    operator.get_by_role("button", name="Đăng", exact=True).click()
    expect(operator.get_by_text("Thông báo đã được đăng.")).to_be_visible()
    operator_ctx.close()

    citizen_ctx = _phone(browser, notices_server)
    citizen = citizen_ctx.new_page()
    citizen.goto("/")
    expect(citizen.locator(".home-notices")).to_contain_text(title)
    citizen.screenshot(path=str(screenshot_dir / "notices-home-360.png"), full_page=True)
    citizen.goto("/notices")
    citizen.get_by_role("link", name=title).click()
    expect(citizen.get_by_role("heading", level=1)).to_have_text(title)
    expect(citizen.locator(".notice__body h2")).to_have_text("Thời gian")
    citizen.screenshot(path=str(screenshot_dir / "notices-detail-360.png"), full_page=True)
    citizen_ctx.close()


def test_banner_only_in_the_targeted_commune(
    browser: Browser, notices_server: str, screenshot_dir: Path
) -> None:
    ctx = _phone(browser, notices_server)
    page = ctx.new_page()
    page.goto("/notices")
    expect(page.locator(".ealerts")).to_have_count(0)
    page.get_by_label("Chọn xã/phường của bạn").select_option(ON_THE_RIVER)
    page.get_by_role("button", name="Chọn", exact=True).click()
    banner = page.locator(".ealert--danger")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(FLOOD)
    expect(banner).to_contain_text("Nguy hiểm")
    page.screenshot(path=str(screenshot_dir / "notices-banner-360.png"), full_page=False)
    # The chosen commune is remembered on every portal page.
    page.goto("/reports")
    expect(page.locator(".ealert--danger")).to_contain_text(FLOOD)
    page.screenshot(path=str(screenshot_dir / "notices-list-commune-360.png"), full_page=True)

    page.goto("/notices")
    page.get_by_label("Chọn xã/phường của bạn").select_option(ELSEWHERE)
    page.get_by_role("button", name="Chọn", exact=True).click()
    expect(page.get_by_text("Đang hiện thông báo của tỉnh và Xã Tân Cương.")).to_be_visible()
    expect(page.locator(".ealerts")).to_have_count(0)
    page.goto("/")
    expect(page.get_by_text(FLOOD)).to_have_count(0)
    ctx.close()


def test_a_dismissed_alert_stays_hidden(browser: Browser, notices_server: str) -> None:
    ctx = _phone(browser, notices_server)
    ctx.add_cookies([{"name": "ioc_commune", "value": ON_THE_RIVER, "url": notices_server}])
    page = ctx.new_page()
    page.goto("/")
    banner = page.locator(".ealert--danger")
    expect(banner).to_be_visible()
    page.get_by_role("button", name="Ẩn cảnh báo này").click()
    expect(banner).to_be_hidden()
    page.reload()
    expect(page.locator(".ealert--danger")).to_be_hidden()
    ctx.close()


def test_reports_near_me_from_the_browser_position(
    browser: Browser, notices_server: str, screenshot_dir: Path
) -> None:
    ctx = browser.new_context(
        base_url=notices_server,
        geolocation={"latitude": 21.5928, "longitude": 105.8442},  # central Thái Nguyên city
        permissions=["geolocation"],
        **PHONE,
    )
    page = ctx.new_page()
    page.goto("/reports")
    page.get_by_role("button", name="Phản ánh gần tôi").click()
    expect(page).to_have_url(re.compile(r"lat=21\.59280&lon=105\.84420&radius=2000"))
    expect(page.get_by_text("Phản ánh trong vòng 2 km quanh vị trí của bạn")).to_be_visible()
    distances = page.locator(".report-cards .distance").all_inner_texts()
    assert distances, "no report near the demo's city centre"
    metres = [
        float(t.split()[0].replace(",", ".")) * (1000 if t.strip().endswith("km") else 1)
        for t in (d.strip() for d in distances)
    ]
    assert metres == sorted(metres) and metres[-1] <= 2000
    page.wait_for_function("document.querySelector('.leaflet-interactive') !== null")
    page.locator("p.lead").scroll_into_view_if_needed()
    page.evaluate(
        "window.scrollBy(0, document.querySelector('p.lead').getBoundingClientRect().top - 8)"
    )
    page.screenshot(path=str(screenshot_dir / "reports-near-me-360.png"), full_page=False)
    ctx.close()


def test_console_and_directory_pages(
    browser: Browser, notices_server: str, screenshot_dir: Path
) -> None:
    desk = browser.new_context(base_url=notices_server, viewport={"width": 1440, "height": 900})
    page = desk.new_page()
    _sign_in(page, "vanhanh@demo.ioc.vn")
    page.goto("/console/notices")
    expect(page.get_by_role("link", name="Thông báo xả lũ hồ Núi Cốc")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "notices-console-list-1440.png"), full_page=True)
    page.goto("/console/notices/alerts")
    expect(page.locator(".alert-admin-list")).to_contain_text(FLOOD)
    page.screenshot(path=str(screenshot_dir / "notices-console-alerts-1440.png"), full_page=True)
    desk.close()

    phone = _phone(browser, notices_server)
    page = phone.new_page()
    page.goto("/directory?q=cuu+hoa")
    expect(page.locator('a[href="tel:114"]')).to_be_visible()
    page.goto("/directory")
    expect(page.locator('a[href="tel:1022"]').first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "directory-360.png"), full_page=False)
    phone.close()


_AXE_PATHS = (
    Path(__file__).resolve().parents[2] / "src/ioc/web/static/vendor/test/axe.min.js",
    Path(__file__).resolve().parents[2] / "node_modules/axe-core/axe.min.js",
)


def _serious_axe_violations(page: Page) -> list[str]:
    axe = next(p for p in _AXE_PATHS if p.exists())
    page.add_script_tag(path=str(axe))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_pages_pass_axe(browser: Browser, notices_server: str) -> None:
    # bypass_csp: the pages' policy rightly forbids injected scripts; axe is the test's own.
    ctx = browser.new_context(base_url=notices_server, bypass_csp=True, **PHONE)
    ctx.add_cookies([{"name": "ioc_commune", "value": ON_THE_RIVER, "url": notices_server}])
    page = ctx.new_page()
    page.goto("/notices")
    first = page.locator(".notice-item").first.get_attribute("href")
    pages = [
        "/",
        "/notices",
        str(first),
        "/directory",
        "/reports?lat=21.5928&lon=105.8442&radius=1000",
    ]
    found: dict[str, list[str]] = {}
    for url in pages:
        page.goto(url)
        expect(page.locator(".ealert--danger")).to_be_visible()  # the banner is checked too
        found[url] = _serious_axe_violations(page)
    _sign_in(page, "vanhanh@demo.ioc.vn")
    for url in ("/console/notices", "/console/notices/new", "/console/notices/alerts"):
        page.goto(url)
        found[url] = _serious_axe_violations(page)
    ctx.close()
    assert {url: v for url, v in found.items() if v} == {}
