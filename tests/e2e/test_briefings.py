"""A leader generates last week's report in the console, downloads the PDF, and reads the
report as a page with its trend charts drawn."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from ioc.seed import DEMO_PASSWORD


def test_leader_generates_downloads_and_reads_the_weekly_report(
    page: Page, live_server: str, screenshot_dir: Path
) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/signin")
    page.get_by_label("Thư điện tử").fill("lanhdao@demo.ioc.vn")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.goto("/console/briefings")
    page.get_by_role("button", name="Lập bản PDF và Excel").click()
    expect(page.locator(".flash")).to_contain_text("Đã lập: Báo cáo tuần")
    row = page.locator("table tbody tr").first
    expect(row).to_contain_text("Báo cáo tuần")
    with page.expect_download() as download_info:
        row.get_by_role("link", name="PDF").click()
    download = download_info.value
    assert download.suggested_filename.startswith("bao-cao-tuan-")
    path = download.path()
    assert path is not None and Path(path).read_bytes()[:5] == b"%PDF-"

    row.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Báo cáo tuần")
    # ECharts drew both trend charts (as SVG, the renderer the page asks for).
    for chart in ("volume", "on_time"):
        expect(page.locator(f'[data-chart="{chart}"] svg')).to_have_count(1)
    expect(page.locator(".briefing-ranking tbody tr").first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "briefing-week.png"), full_page=True)
