"""The inbox's keyboard shortcuts in Chromium: an officer moves with j, ticks a report with x
and opens it with Enter; "?" lists the shortcuts. Also, on the way, an administrator's commune
rule on the category page (the screenshot of that section is taken here)."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from ioc.seed import DEMO_PASSWORD

AXE = Path(__file__).resolve().parents[2] / "src/ioc/web/static/vendor/test/axe.min.js"


def _sign_in(page: Page, email: str) -> None:
    page.goto("/signin")
    page.get_by_label("Thư điện tử").fill(email)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def _serious_axe_violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}) {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_officer_moves_selects_and_opens_with_the_keyboard(
    browser: Browser, live_server: str, screenshot_dir: Path
) -> None:
    # bypass_csp: the page's policy rightly forbids injected scripts; axe is the test's own.
    context = browser.new_context(
        base_url=live_server, viewport={"width": 1280, "height": 800}, bypass_csp=True
    )
    page = context.new_page()
    _sign_in(page, "canbo@demo.ioc.vn")
    page.goto("/console/reports?bucket=new")
    rows = page.locator("[data-inbox-list] tbody tr")
    expect(page.get_by_role("button", name="Phím tắt")).to_be_visible()  # shown by the script
    second = rows.nth(1)
    box = second.locator("input[type=checkbox]")
    expect(box).not_to_be_checked()
    code = second.get_attribute("data-code")
    assert code and re.fullmatch(r"PA-\d{4}-\d{6}", code)

    page.keyboard.press("j")
    expect(rows.nth(0)).to_be_focused()
    page.keyboard.press("j")
    expect(second).to_be_focused()
    expect(second).to_have_attribute("aria-current", "true")
    page.keyboard.press("x")
    expect(box).to_be_checked()
    expect(page.locator("[data-inbox-live]")).to_have_text(f"Đã chọn {code}")
    page.keyboard.press("k")
    expect(rows.nth(0)).to_be_focused()
    page.keyboard.press("j")
    page.screenshot(path=str(screenshot_dir / "inbox-keys-focus-1280.png"))

    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Phím tắt")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Phản ánh tiếp theo")
    page.screenshot(path=str(screenshot_dir / "inbox-keys-help-1280.png"))
    assert _serious_axe_violations(page) == []
    page.keyboard.press("j")  # the dialog is open: no shortcut acts
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(second).to_be_focused()  # focus goes back where it was

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"/console/reports/{code}$"))
    context.close()


def test_administrator_gives_a_commune_its_own_rule(
    browser: Browser, live_server: str, screenshot_dir: Path
) -> None:
    context = browser.new_context(
        base_url=live_server, viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    page = context.new_page()
    _sign_in(page, "quantri@demo.ioc.vn")
    page.goto("/admin/categories/road.pothole")
    section = page.locator("#routes")
    section.get_by_role("button", name="Lưu quy tắc").click()  # nothing chosen
    expect(page.get_by_role("alert")).to_contain_text("Chọn một xã hoặc phường trong danh sách.")
    page.screenshot(path=str(screenshot_dir / "category-routes-error-1280.png"), full_page=True)
    section.locator("#field-area_code").select_option(label="Phường Phan Đình Phùng")
    section.get_by_label("Chuyển đến", exact=True).select_option(
        label="Sở Nông nghiệp và Môi trường"
    )
    section.get_by_role("button", name="Lưu quy tắc").click()
    expect(page.get_by_text("Phản ánh tại Phường Phan Đình Phùng từ nay")).to_be_visible()
    row = section.get_by_role("row", name=re.compile("Phường Phan Đình Phùng"))
    expect(row).to_contain_text("Sở Nông nghiệp và Môi trường")
    section.locator("#field-route_area").select_option(label="Phường Phan Đình Phùng")
    section.get_by_role("button", name="Xem").click()
    expect(page.locator("[data-effective-route]")).to_contain_text("Theo quy tắc riêng")
    page.locator("#routes").screenshot(path=str(screenshot_dir / "category-routes-1280.png"))
    assert _serious_axe_violations(page) == []
    page.once("dialog", lambda d: d.accept())
    row.get_by_role("button", name=re.compile("Gỡ quy tắc riêng")).click()
    expect(page.get_by_text("Đã gỡ quy tắc riêng của Phường Phan Đình Phùng.")).to_be_visible()
    context.close()


def test_operator_filters_and_switches_lists_with_the_keyboard(
    browser: Browser, live_server: str
) -> None:
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    _sign_in(page, "vanhanh@demo.ioc.vn")
    page.goto("/console/reports?agency=SXD&bucket=new")
    page.keyboard.press("/")
    search = page.get_by_label("Cơ quan", exact=True)
    expect(search).to_be_focused()
    page.keyboard.press("j")  # in a field, keys are the field's own
    expect(page.locator("[data-inbox-list] tr.is-current")).to_have_count(0)
    page.locator("h1").click()
    page.keyboard.press("g")
    page.keyboard.press("o")
    expect(page).to_have_url(re.compile(r"agency=SXD&bucket=overdue$"))
    expect(page.get_by_role("link", name=re.compile("^Quá hạn"))).to_have_attribute(
        "aria-current", "page"
    )
    context.close()
