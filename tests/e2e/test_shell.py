"""A person signs in and sees the face of their role, in Vietnamese, with nothing from outside."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from ioc.seed import DEMO_PASSWORD


def _sign_in(page: Page, email: str) -> None:
    page.goto("/signin")
    page.get_by_label("Thư điện tử").fill(email)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def test_operator_signs_in_and_sees_the_console_shell(
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
    _sign_in(page, "vanhanh@demo.ioc.vn")
    expect(page).to_have_url(f"{live_server}/console")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tổng quan")
    expect(page.get_by_role("navigation").first).to_be_visible()
    expect(page.get_by_text("Lê Văn Vận Hành").first).to_be_visible()
    # The map draws the province and its 92 commune markers from our own GeoJSON.
    page.wait_for_selector(".leaflet-interactive", timeout=10_000)
    assert page.locator(".leaflet-interactive").count() >= 92
    page.screenshot(path=str(screenshot_dir / "console-operator-1920.png"))
    assert outside == []


def test_citizen_lands_on_the_portal_and_switches_to_english(
    page: Page, live_server: str, screenshot_dir: Path
) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    _sign_in(page, "congdan@demo.ioc.vn")
    expect(page).to_have_url(f"{live_server}/")
    page.screenshot(path=str(screenshot_dir / "portal-citizen-360.png"), full_page=True)
    page.get_by_role("link", name="English").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto("/lang/vi?next=/")


def test_administrator_lands_on_administration(
    page: Page, live_server: str, screenshot_dir: Path
) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    _sign_in(page, "quantri@demo.ioc.vn")
    expect(page).to_have_url(f"{live_server}/admin")
    page.goto("/admin/users")
    expect(page.get_by_text("quantri@demo.ioc.vn")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "admin-users-1440.png"))


AXE = Path(__file__).resolve().parents[2] / "src/ioc/web/static/vendor/test/axe.min.js"


def _serious_axe_violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])})"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_main_pages_pass_axe(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    # bypass_csp: the page's policy rightly forbids injected scripts; axe is the test's own.
    context = browser.new_context(
        base_url=live_server, bypass_csp=True, viewport={"width": 1366, "height": 900}
    )
    page = context.new_page()
    problems: dict[str, list[str]] = {}
    for path in ("/", "/signin", "/directory"):
        page.goto(path)
        problems[path] = _serious_axe_violations(page)
    _sign_in(page, "quantri@demo.ioc.vn")
    for path in ("/admin", "/admin/users", "/admin/agencies/SXD", "/console"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        problems[path] = _serious_axe_violations(page)
    context.close()
    assert {p: v for p, v in problems.items() if v} == {}
