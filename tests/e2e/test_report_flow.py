"""A citizen files a report with a photo and a place on the map; the agency's officer accepts
and answers it in the console; the citizen sees the answer and rates it."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, Page, expect

from ioc.seed import DEMO_PASSWORD


def _sign_in(page: Page, email: str) -> None:
    page.goto("/signin")
    page.get_by_label("Thư điện tử").fill(email)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (120, 110, 100)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_citizen_reports_officer_answers_citizen_rates(
    browser: Browser, live_server: str, screenshot_dir: Path
) -> None:
    citizen_ctx = browser.new_context(
        base_url=live_server, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    citizen = citizen_ctx.new_page()
    _sign_in(citizen, "congdan@demo.ioc.vn")
    citizen.goto("/reports/new")
    citizen.get_by_label("Tìm lĩnh vực").fill("o ga")
    citizen.get_by_label("Lĩnh vực", exact=True).select_option("road.pothole")
    citizen.get_by_label("Mô tả vấn đề").fill(
        "Ổ gà lớn giữa đường, xe máy đi qua rất nguy hiểm vào buổi tối."
    )
    citizen.wait_for_selector("[data-report-map] .leaflet-interactive")
    citizen.locator("[data-report-map]").click()  # the centre of the province
    expect(citizen.locator("[data-lat]")).not_to_have_value("")
    citizen.locator("#photos").set_input_files(
        files=[{"name": "o-ga.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
    )
    citizen.screenshot(path=str(screenshot_dir / "report-form-360.png"), full_page=True)
    citizen.get_by_role("button", name="Gửi phản ánh").click()
    expect(citizen.get_by_text(re.compile(r"PA-\d{4}-\d{6}")).first).to_be_visible()
    code = re.search(r"PA-\d{4}-\d{6}", citizen.url)
    assert code, citizen.url
    expect(citizen.get_by_text("Sở Xây dựng").first).to_be_visible()
    expect(citizen.locator("img[alt^='Ảnh 1']")).to_be_visible()
    citizen.screenshot(path=str(screenshot_dir / "report-sent-360.png"), full_page=True)

    officer_ctx = browser.new_context(base_url=live_server, viewport={"width": 1440, "height": 900})
    officer = officer_ctx.new_page()
    _sign_in(officer, "canbo@demo.ioc.vn")
    officer.goto("/console/reports?bucket=new")
    officer.get_by_role("link", name=code.group(0)).click()
    officer.get_by_role("button", name="Tiếp nhận").click()
    expect(officer.get_by_text("Đã tiếp nhận").first).to_be_visible()
    officer.get_by_text("Trả lời: đã giải quyết", exact=True).first.click()
    officer.get_by_label("Trả lời công khai cho người dân").fill(
        "Đã vá ổ gà và cắm biển cảnh báo trong lúc chờ mặt đường khô."
    )
    officer.get_by_role("button", name="Trả lời: đã giải quyết").click()
    expect(officer.get_by_text("Đã giải quyết").first).to_be_visible()
    officer.screenshot(path=str(screenshot_dir / "console-report-1440.png"), full_page=True)
    officer_ctx.close()

    citizen.reload()
    expect(citizen.get_by_role("region", name="Trả lời của cơ quan")).to_contain_text("Đã vá ổ gà")
    citizen.get_by_role("radio", name=re.compile("5 · Rất hài lòng")).check()
    citizen.get_by_role("button", name="Gửi đánh giá").click()
    expect(citizen.get_by_text("Người dân đánh giá 5/5.")).to_be_visible()
    citizen_ctx.close()
