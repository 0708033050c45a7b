"""A leader opens the scorecard of the demo province, sees tiles with bands and trend charts
drawn, switches to a commune and follows a tile to the values behind it."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from ioc.seed import DEMO_PASSWORD


def test_leader_reads_the_scorecard_and_drills_down(
    page: Page, live_server: str, screenshot_dir: Path
) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/signin")
    page.get_by_label("Thư điện tử").fill("lanhdao@demo.ioc.vn")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.goto("/console/scorecards")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tỉnh Thái Nguyên")
    expect(page.locator(".ind-tile").first).to_be_visible()
    assert page.locator(".ind-tile").count() >= 25
    # Every band is named in words beside its colour; the trend charts are drawn (SVG).
    expect(page.locator(".ind-tile .badge").first).to_be_visible()
    expect(page.locator("[data-ind-chart] svg").first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "scorecard-province.png"), full_page=True)

    page.select_option("#area", label="Phường Phan Đình Phùng")
    page.get_by_role("button", name="Xem").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Phan Đình Phùng")
    page.locator('.ind-tile[data-indicator="infra.water_supply"]').click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("nước sạch")
    expect(page.locator("table tbody tr").first).to_contain_text("Số liệu minh họa (demo)")
    expect(page.locator("[data-ind-chart] svg")).to_have_count(1)
