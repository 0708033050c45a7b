"""Issue 4's "Done when", as a person would try it on a phone (360×740), in Vietnamese: a new
person signs in with the code sent by SMS, reports a pothole with a photo and the phone's
location, sees which agency handles it; the agency's officer accepts and answers it in the
console; the person sees the bell count, reads the notification, rates the answer, and finds the
province's latest notice on the home page. A screenshot of every step goes to test-artifacts/."""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, Page, expect

from ioc.seed import DEMO_PASSWORD

PHONE = "0912 468 135"
PHONE_SHOWN = "+84912468135"
# Phường Phan Đình Phùng, Thái Nguyên city.
HERE = {"latitude": 21.5942, "longitude": 105.8482}


def _photo() -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", (1600, 1200), (110, 105, 95))
    for x in range(0, 1600, 50):
        image.paste((70, 65 + x % 120, 60), (x, 0, x + 25, 1200))
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _staff_sign_in(page: Page, email: str, next_url: str) -> None:
    page.goto(f"/signin?next={next_url}")
    page.get_by_label("Thư điện tử").fill(email)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(re.compile(re.escape(next_url) + "$"))


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


def test_done_when_new_citizen_reports_a_pothole_and_rates_the_answer(
    browser: Browser, live_server: str, screenshot_dir: Path
) -> None:
    phone_ctx = browser.new_context(
        base_url=live_server,
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        locale="vi-VN",
        geolocation=HERE,
        permissions=["geolocation"],
    )
    staff_ctx = browser.new_context(base_url=live_server, viewport={"width": 1440, "height": 900})
    page = phone_ctx.new_page()
    staff = staff_ctx.new_page()

    def shot(name: str) -> None:
        page.screenshot(path=str(screenshot_dir / f"done-when-{name}.png"), full_page=True)
        _no_sideways_scroll(page)

    try:
        # 1. A new person signs in with the phone number and the code sent by SMS.
        page.goto("/")
        shot("01-home-anonymous")
        page.get_by_role("link", name="Đăng nhập").first.click()
        page.get_by_label("Số điện thoại di động").fill(PHONE)
        page.get_by_role("button", name="Nhận mã qua SMS").click()
        expect(page).to_have_url(re.compile(r"/signin/phone/code$"))
        shot("02-code")
        # Demo: no SMS gateway; the operator reads the sent message on the console.
        _staff_sign_in(staff, "vanhanh@demo.ioc.vn", "/console/messages")
        row = staff.locator("tr", has_text=PHONE_SHOWN).first
        match = re.search(r"\b(\d{6})\b", row.inner_text())
        assert match, row.inner_text()
        page.get_by_label("Mã trong tin nhắn SMS").fill(match.group(1))
        page.get_by_role("button", name="Tiếp tục").click()
        expect(page).to_have_url(re.compile(r"/me\?welcome=1$"))
        page.get_by_label("Họ và tên").fill("Hà Thị Mai")
        page.get_by_label("Xã, phường nơi ở").select_option(label="Phường Phan Đình Phùng")
        shot("03-profile")
        page.get_by_role("button", name="Lưu").click()
        expect(page.get_by_text("Đã lưu thông tin tài khoản.")).to_be_visible()
        staff.get_by_role("button", name=re.compile("Vận hành|Đăng xuất")).first.click()
        staff_ctx.clear_cookies()

        # 2. Home, signed in: the actions in a sensible order; no unread notifications yet.
        page.goto("/")
        expect(page.get_by_role("heading", name="Xin chào, Hà Thị Mai")).to_be_visible()
        expect(page.locator(".bell__count")).to_have_count(0)
        shot("04-home-signed-in")

        # 3. A pothole with a photo and the phone's location.
        page.locator(".home-actions a").first.click()
        expect(page).to_have_url(re.compile(r"/reports/new$"))
        page.get_by_label("Tìm lĩnh vực").fill("o ga")
        page.get_by_label("Lĩnh vực", exact=True).select_option("road.pothole")
        description = f"Ổ gà sâu giữa đường Hoàng Văn Thụ, xe máy dễ ngã. [{uuid.uuid4().hex[:6]}]"
        page.get_by_label("Mô tả vấn đề").fill(description)
        page.locator("#photos").set_input_files(
            files=[{"name": "o-ga.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
        )
        expect(page.locator("[data-photo-previews] img")).to_have_count(1)
        page.get_by_role("button", name="Dùng vị trí của tôi").click()
        expect(page.locator("[data-lat]")).to_have_value("21.594200")
        # The signed-in person is not asked again for a name and phone number.
        expect(page.get_by_label("Họ và tên")).to_have_count(0)
        shot("05-report-form")
        send = page.get_by_role("button", name="Gửi phản ánh")
        send.scroll_into_view_if_needed()
        # The bottom tab bar does not cover the button.
        box, bar = send.bounding_box(), page.locator(".tabbar").bounding_box()
        assert box and bar and box["y"] + box["height"] <= bar["y"], (box, bar)
        send.click()
        page.wait_for_url(re.compile(r"/reports/PA-\d{4}-\d{6}$"))
        code = page.url.rsplit("/", 1)[1]

        # 4. Routed: the page names the agency that handles it.
        expect(page.get_by_text(f"Phản ánh {code} của bạn đã được gửi").first).to_be_visible()
        expect(page.get_by_text("Sở Xây dựng").first).to_be_visible()
        expect(page.locator("img[alt^='Ảnh 1']")).to_be_visible()
        shot("06-report-sent")

        # 5. The agency's officer accepts it and answers in the console.
        _staff_sign_in(staff, "canbo@demo.ioc.vn", "/console/reports?bucket=new")
        staff.get_by_role("link", name=code).click()
        staff.get_by_role("button", name="Tiếp nhận").click()
        expect(staff.get_by_text("Đã tiếp nhận").first).to_be_visible()
        staff.get_by_text("Trả lời: đã giải quyết", exact=True).first.click()
        staff.get_by_label("Trả lời công khai cho người dân").fill(
            "Đã vá ổ gà trên đường Hoàng Văn Thụ và cắm biển cảnh báo."
        )
        staff.screenshot(path=str(screenshot_dir / "done-when-07-console-answer.png"))
        staff.get_by_role("button", name="Trả lời: đã giải quyết").click()
        expect(staff.get_by_text("Đã giải quyết").first).to_be_visible()

        # 6. The person sees the bell count and reads the notification.
        page.goto("/")
        bell = page.locator("a.bell")
        expect(bell.locator(".bell__count")).to_have_text(re.compile(r"^[1-9]\d*$"))
        expect(bell).to_have_attribute("aria-label", re.compile(r"chưa đọc"))
        shot("08-home-bell")
        bell.click()
        expect(page.locator(".note--unread").first).to_contain_text(code)
        shot("09-notifications")
        page.locator(".note", has_text=code).first.get_by_role("link").first.click()
        expect(page).to_have_url(re.compile(rf"/reports/{code}$"))

        # 7. The answer, then the rating.
        expect(page.get_by_role("region", name="Trả lời của cơ quan")).to_contain_text("Đã vá ổ gà")
        shot("10-answer")
        page.get_by_role("radio", name=re.compile("5 · Rất hài lòng")).check()
        page.get_by_label("Nhận xét (không bắt buộc)").fill("Sửa rất nhanh, cảm ơn.")
        page.get_by_role("button", name="Gửi đánh giá").click()
        expect(page.get_by_text("Người dân đánh giá 5/5.")).to_be_visible()
        shot("11-rated")

        # 8. The province's latest notice on the home page, opened.
        page.goto("/")
        latest = page.locator(".home-notices .notice-item").first
        expect(latest).to_be_visible()
        title = page.locator(".home-notices .notice-item__title").first.inner_text()
        latest.scroll_into_view_if_needed()
        shot("12-home-notices")
        latest.click()
        expect(page).to_have_url(re.compile(r"/notices/\d+$"))
        expect(page.get_by_role("heading", name=title)).to_be_visible()
        shot("13-notice")
    finally:
        phone_ctx.close()
        staff_ctx.close()
