"""On a phone-sized screen a new person signs in with a phone number and the code from the SMS
(read by the operator on the console's sent-messages page, in another browser), fills the
profile, sees the bell, and finally deletes the account."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from ioc.seed import DEMO_PASSWORD

AXE = Path(__file__).resolve().parents[2] / "src/ioc/web/static/vendor/test/axe.min.js"
PHONE = "0978 123 456"
PHONE_SHOWN = "+84978123456"


def _serious_axe_violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}) {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _operator_reads_the_code(page: Page) -> str:
    page.goto("/console/messages")
    row = page.locator("tr", has_text=PHONE_SHOWN).first
    expect(row).to_be_visible()
    match = re.search(r"\b(\d{6})\b", row.inner_text())
    assert match, row.inner_text()
    return match.group(1)


def test_new_citizen_signs_in_by_code_and_fills_the_profile(
    browser: Browser, live_server: str, screenshot_dir: Path
) -> None:
    phone_ctx = browser.new_context(
        base_url=live_server,
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        # The pages' policy rightly forbids injected scripts; axe is the test's own.
        bypass_csp=True,
    )
    staff_ctx = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800})
    page = phone_ctx.new_page()
    staff = staff_ctx.new_page()
    problems: dict[str, list[str]] = {}
    try:
        # The portal's sign-in link leads to the phone form first.
        page.goto("/")
        page.get_by_role("link", name="Đăng nhập").first.click()
        expect(page.get_by_label("Số điện thoại di động")).to_be_visible()
        page.screenshot(path=str(screenshot_dir / "phone-signin-1-signin.png"), full_page=True)
        problems["/signin"] = _serious_axe_violations(page)

        # A wrong number first: a clear error naming the field.
        page.get_by_label("Số điện thoại di động").fill("12345")
        page.get_by_role("button", name="Nhận mã qua SMS").click()
        expect(page.locator("#field-phone-error")).to_contain_text("số di động Việt Nam")

        page.get_by_label("Số điện thoại di động").fill(PHONE)
        page.get_by_role("button", name="Nhận mã qua SMS").click()
        expect(page).to_have_url(re.compile(r"/signin/phone/code$"))
        expect(page.get_by_text("0978 123 456")).to_be_visible()
        # The resend button waits for its countdown.
        resend = page.get_by_role("button", name=re.compile("Gửi lại mã"))
        expect(resend).to_be_disabled()
        page.screenshot(path=str(screenshot_dir / "phone-signin-2-code.png"), full_page=True)
        problems["/signin/phone/code"] = _serious_axe_violations(page)

        # The operator reads the code on the console's sent-messages page (demo: no gateway).
        staff.goto("/signin?next=/console/messages")
        staff.get_by_label("Thư điện tử").fill("vanhanh@demo.ioc.vn")
        staff.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
        staff.get_by_role("button", name="Đăng nhập").click()
        expect(staff).to_have_url(re.compile(r"/console/messages$"))
        code = _operator_reads_the_code(staff)
        staff.screenshot(path=str(screenshot_dir / "phone-signin-3-sent-messages.png"))

        wrong = "000000" if code != "000000" else "111111"
        page.get_by_label("Mã trong tin nhắn SMS").fill(wrong)
        page.get_by_role("button", name="Tiếp tục").click()
        expect(page.locator("#field-code-error")).to_contain_text("Bạn còn 4 lần thử")

        page.get_by_label("Mã trong tin nhắn SMS").fill(code)
        page.get_by_role("button", name="Tiếp tục").click()
        expect(page).to_have_url(re.compile(r"/me\?welcome=1$"))
        expect(page.get_by_text("Chào mừng bạn")).to_be_visible()

        page.get_by_label("Họ và tên").fill("Lò Văn Sơn")
        page.get_by_role("textbox", name="Thư điện tử").fill("son.lo@example.vn")
        page.get_by_label("Xã, phường nơi ở").select_option(label="Phường Phan Đình Phùng")
        page.get_by_label("Nhận thêm qua thư điện tử").check()
        page.screenshot(path=str(screenshot_dir / "phone-signin-4-profile.png"), full_page=True)
        problems["/me"] = _serious_axe_violations(page)
        page.get_by_role("button", name="Lưu").click()
        expect(page.get_by_text("Đã lưu thông tin tài khoản.")).to_be_visible()
        # Nothing sticks out sideways on a 360 px screen (the header has one more item).
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        expect(page.get_by_label("Họ và tên")).to_have_value("Lò Văn Sơn")
        commune = [c for c in phone_ctx.cookies() if c["name"] == "ioc_commune"]
        assert commune and commune[0]["value"]

        # Signed in: the header shows the bell and the account.
        page.goto("/")
        expect(page.locator("a.bell")).to_be_visible()
        page.screenshot(path=str(screenshot_dir / "phone-signin-5-home.png"), full_page=True)
        page.locator("a.bell").click()
        expect(page.get_by_role("heading", name="Thông báo")).to_be_visible()
        page.screenshot(
            path=str(screenshot_dir / "phone-signin-6-notifications.png"), full_page=True
        )
        problems["/notifications"] = _serious_axe_violations(page)

        # Deleting the account signs the person out.
        page.goto("/me/delete")
        page.get_by_label("Tôi hiểu, hãy xoá tài khoản của tôi").check()
        page.screenshot(path=str(screenshot_dir / "phone-signin-7-delete.png"), full_page=True)
        problems["/me/delete"] = _serious_axe_violations(page)
        page.get_by_role("button", name="Xoá tài khoản của tôi").click()
        expect(page.get_by_text("Tài khoản của bạn đã được xoá.")).to_be_visible()
        expect(page.locator("a.bell")).to_have_count(0)
        assert {p: v for p, v in problems.items() if v} == {}
    finally:
        phone_ctx.close()
        staff_ctx.close()


def test_usage_page_shows_the_figures_and_a_chart(
    browser: Browser, live_server: str, screenshot_dir: Path
) -> None:
    ctx = browser.new_context(
        base_url=live_server, viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    page = ctx.new_page()
    try:
        page.goto("/signin?next=/console/usage")
        page.get_by_label("Thư điện tử").fill("lanhdao@demo.ioc.vn")
        page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page).to_have_url(re.compile(r"/console/usage$"))
        expect(page.get_by_text("Số liệu minh hoạ")).to_be_visible()
        # ECharts drew into the chart boxes.
        expect(page.locator(".usage-chart canvas").first).to_be_visible()
        page.screenshot(path=str(screenshot_dir / "console-usage.png"), full_page=True)
        assert _serious_axe_violations(page) == []
    finally:
        ctx.close()


def test_demo_citizen_reads_notifications_in_english(
    browser: Browser, live_server: str, screenshot_dir: Path
) -> None:
    ctx = browser.new_context(
        base_url=live_server, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    page = ctx.new_page()
    try:
        page.goto("/signin")
        page.get_by_label("Thư điện tử").fill("congdan@demo.ioc.vn")
        page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.goto("/lang/en?next=/")
        bell = page.locator("a.bell")
        expect(bell).to_have_attribute("aria-label", re.compile(r"Notifications: \d+ unread"))
        # Nothing sticks out sideways on a 360 px screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        bell.click()
        expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
        expect(page.locator(".note--unread").first).to_be_visible()
        expect(page.locator(".note").first).to_contain_text("Report PA-")
        page.screenshot(path=str(screenshot_dir / "notifications-en.png"), full_page=True)
        page.get_by_role("button", name="Mark all as read").click()
        expect(page.locator(".note--unread")).to_have_count(0)
        expect(page.locator("a.bell")).to_have_attribute("aria-label", "Notifications")
    finally:
        ctx.close()
