"""An operator opens a new alert from the inbox, works through its procedure step by step,
and resolves it; screenshots of the inbox and the alert go to test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, expect

from ioc.seed import DEMO_PASSWORD


def test_operator_handles_an_alert_through_its_procedure(
    browser: Browser, live_server: str, screenshot_dir: Path
) -> None:
    context = browser.new_context(base_url=live_server, viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto("/signin")
    page.get_by_label("Thư điện tử").fill("vanhanh@demo.ioc.vn")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()

    page.get_by_role("link", name="Cảnh báo", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/console/alerts$"))
    rows = page.locator("table.alerts-table tbody tr")
    expect(rows.first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "alerts-inbox-1440.png"), full_page=True)

    # The demo's new (unacknowledged) overdue-report alert.
    row = rows.filter(has_text="Mới").filter(has_text="quá hạn").first
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Quy trình: Phản ánh quá hạn")).to_be_visible()
    expect(page.locator("a[href^='/console/reports/PA-']").first).to_be_visible()

    page.get_by_role("button", name="Xác nhận").click()
    expect(page.get_by_text("Đã xác nhận").first).to_be_visible()

    steps = page.locator("[data-step-done]")
    total = steps.count()
    assert total == 4
    for n in range(total):
        page.locator(".alerts-step__form input[name=note]").first.fill(f"Bước {n + 1} đã làm")
        page.locator("[data-step-done]").first.click()
        expect(page.get_by_text(f"Đã xong {n + 1}/{total} bước")).to_be_visible()
    expect(page.locator(".alerts-step--done")).to_have_count(total)
    page.screenshot(path=str(screenshot_dir / "alert-procedure-done-1440.png"), full_page=True)

    page.locator("summary", has_text="Kết thúc xử lý").click()
    page.get_by_label("Đã làm gì").fill("Cơ quan đã trả lời người dân; đã ghi nhận nguyên nhân.")
    page.get_by_role("button", name="Kết thúc xử lý").click()
    expect(page.locator(".alerts-status").get_by_text("Đã xử lý")).to_be_visible()
    expect(page.get_by_text("Cơ quan đã trả lời người dân").first).to_be_visible()
    expect(page.locator("[data-step-done]")).to_have_count(0)
    page.screenshot(path=str(screenshot_dir / "alert-resolved-1440.png"), full_page=True)

    # It has left the list of alerts not yet resolved.
    page.goto("/console/alerts")
    expect(page.locator("table.alerts-table tbody tr").filter(has_text="Mới")).to_have_count(0)
    context.close()
