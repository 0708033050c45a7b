"""The citizen app on a phone (360×740, touch): installable (manifest, service worker), a report
with a photo made smaller on the phone and the phone's location, a report made offline that is
sent exactly once when the network returns, rating and reopening, and axe on every page."""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from ioc.seed import DEMO_PASSWORD

PHONE: dict[str, Any] = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "locale": "vi-VN",
}
# Phường Phan Đình Phùng, Thái Nguyên city.
HERE = {"latitude": 21.5942, "longitude": 105.8482}
AXE = Path(__file__).resolve().parents[2] / "src/ioc/web/static/vendor/test/axe.min.js"


def _sign_in(page: Page, email: str) -> None:
    page.goto("/signin")
    page.get_by_label("Thư điện tử").fill(email)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()


def _photo(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", (width, height), (120, 110, 100))
    for x in range(0, width, 40):  # some detail, so the JPEG is not trivially small
        image.paste((200, 60 + x % 150, 40), (x, 0, x + 20, height))
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def _serious_axe_violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}) {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture()
def phone(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    # bypass_csp: the pages' policy rightly forbids injected scripts; axe is the test's own.
    context = browser.new_context(
        base_url=live_server,
        geolocation=HERE,
        permissions=["geolocation"],
        bypass_csp=True,
        **PHONE,
    )
    yield context
    context.close()


def _wait_for_worker(page: Page) -> None:
    """The service worker is installed (shell and offline pages kept) and controls the page."""
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    page.wait_for_function("() => !!navigator.serviceWorker.controller", timeout=10_000)


def test_manifest_and_service_worker_are_served_and_valid(
    live_server: str, phone: BrowserContext
) -> None:
    manifest = httpx.get(live_server + "/manifest.webmanifest")
    assert manifest.status_code == 200
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    data = manifest.json()
    assert data["name"] == "C-ThaiNguyen"
    assert data["start_url"] == "/" and data["scope"] == "/"
    assert data["display"] == "standalone"
    assert re.fullmatch(r"#[0-9a-f]{6}", data["theme_color"])
    sizes = {(i["sizes"], i.get("purpose", "any")) for i in data["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in data["icons"]:
        response = httpx.get(live_server + icon["src"])
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"
        image = Image.open(io.BytesIO(response.content))
        assert f"{image.width}x{image.height}" == icon["sizes"]

    worker = httpx.get(live_server + "/sw.js")
    assert worker.status_code == 200
    assert worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["service-worker-allowed"] == "/"
    config = json.loads(re.search(r"var CONFIG = (\{.*?\});", worker.text).group(1))  # type: ignore[union-attr]
    assert re.fullmatch(r"[0-9a-f]{12}", config["version"])
    for url in config["shell"]:  # every file of the shell exists (the install would fail)
        assert httpx.get(live_server + url).status_code == 200, url
    assert "/offline" in config["pages"]
    # Versioned static files are cached for a year; text is compressed.
    css = httpx.get(live_server + f"/static/css/ioc.css?v={config['version']}")
    assert "immutable" in css.headers["cache-control"]
    assert css.headers.get("content-encoding") == "gzip"

    page = phone.new_page()
    page.goto("/")
    head = page.locator("head")
    expect(head.locator("link[rel=manifest]")).to_have_attribute("href", "/manifest.webmanifest")
    expect(head.locator("link[rel=apple-touch-icon]")).to_have_count(1)
    expect(head.locator("meta[name=apple-mobile-web-app-capable]")).to_have_count(1)
    _wait_for_worker(page)
    scope = page.evaluate("async () => (await navigator.serviceWorker.ready).scope")
    assert scope == live_server + "/"
    caches = page.evaluate("async () => await caches.keys()")
    assert f"ioc-static-{config['version']}" in caches
    # Nothing personal is kept: the pages' cache holds only the anonymous offline copies.
    kept = page.evaluate(
        """async (version) => { const c = await caches.open('ioc-pages-' + version);
        return (await c.keys()).map(r => new URL(r.url).pathname); }""",
        config["version"],
    )
    assert sorted(kept) == sorted(config["pages"])


def test_report_with_photo_and_location_then_rate_and_reopen(
    browser: Browser, live_server: str, phone: BrowserContext, screenshot_dir: Path
) -> None:
    page = phone.new_page()
    _sign_in(page, "congdan@demo.ioc.vn")
    page.screenshot(path=str(screenshot_dir / "citizen-home-360.png"), full_page=True)
    page.goto("/reports/new")
    # Step 1: the category found without accents, a description, a large photo.
    page.get_by_label("Tìm lĩnh vực").fill("den duong")
    chosen = page.get_by_label("Lĩnh vực", exact=True)
    expect(chosen).not_to_have_value("")
    assert "Đèn" in page.evaluate(
        "() => document.querySelector('#category_code').selectedOptions[0].textContent"
    )
    chosen.select_option("road.pothole")
    description = f"Ổ gà sâu trước cổng trường, xe máy dễ ngã. [{uuid.uuid4().hex[:8]}]"
    page.get_by_label("Mô tả vấn đề").fill(description)
    big = _photo(3000, 2000)
    page.locator("#photos").set_input_files(
        files=[{"name": "o-ga.jpg", "mimeType": "image/jpeg", "buffer": big}]
    )
    # Made smaller on the phone: one JPEG, longest side 1600 px.
    expect(page.locator("[data-photo-previews] img")).to_have_count(1)
    resized = page.evaluate(
        """async () => { const f = document.querySelector('#photos').files[0];
        const b = await createImageBitmap(f); return [f.type, f.size, b.width, b.height]; }"""
    )
    assert resized[0] == "image/jpeg" and resized[2:] == [1600, 1067]
    assert resized[1] < len(big)
    # Step 2: the phone's location.
    page.get_by_role("button", name="Dùng vị trí của tôi").click()
    expect(page.locator("[data-lat]")).to_have_value("21.594200")
    expect(page.locator("[data-lon]")).to_have_value("105.848200")
    # Step 3: check and send.
    expect(page.locator("[data-check='photos']")).to_have_text("1")
    page.screenshot(path=str(screenshot_dir / "citizen-report-form-360.png"), full_page=True)
    page.get_by_role("button", name="Gửi phản ánh").click()
    page.wait_for_url(re.compile(r"/reports/PA-\d{4}-\d{6}$"))
    code = page.url.rsplit("/", 1)[1]
    expect(page.get_by_text(f"Phản ánh {code} của bạn đã được gửi").first).to_be_visible()
    photo = page.locator("img[alt^='Ảnh 1']")
    expect(photo).to_be_visible()
    full = httpx.get(
        live_server + photo.locator("xpath=..").get_attribute("href"),  # type: ignore[operator]
        cookies={c["name"]: c["value"] for c in phone.cookies()},
    )
    kept = Image.open(io.BytesIO(full.content))
    assert max(kept.size) == 1600  # the server keeps up to 2048: the phone made it smaller
    page.screenshot(path=str(screenshot_dir / "citizen-report-sent-360.png"), full_page=True)

    # The agency accepts it and asks a question in the console.
    officer_ctx = browser.new_context(base_url=live_server, viewport={"width": 1440, "height": 900})
    officer = officer_ctx.new_page()
    _sign_in(officer, "canbo@demo.ioc.vn")
    officer.goto(f"/console/reports/{code}")
    officer.get_by_role("button", name="Tiếp nhận").click()
    expect(officer.get_by_text("Đã tiếp nhận").first).to_be_visible()
    officer.get_by_text("Hỏi thêm người dân", exact=True).first.click()
    officer.get_by_label("Câu hỏi cho người dân").fill("Ổ gà nằm bên trái hay bên phải cổng?")
    officer.get_by_role("button", name="Hỏi thêm người dân").click()

    # The citizen sees what to do on My reports and answers on the report's page.
    page.goto("/me/reports")
    card = page.locator(".report-card", has_text=description[-10:])
    expect(card).to_contain_text("Cơ quan cần bạn bổ sung thông tin")
    card.get_by_role("link").click()
    expect(page.locator(".question")).to_contain_text("bên trái hay bên phải")
    expect(page.locator(".timeline__item").filter(has_text="bên trái hay bên phải")).to_have_count(
        1
    )
    page.screenshot(path=str(screenshot_dir / "citizen-report-question-360.png"), full_page=True)
    page.get_by_label("Thông tin bạn bổ sung").fill("Bên phải cổng, sát vỉa hè.")
    page.get_by_role("button", name="Gửi thông tin").click()
    expect(page.get_by_text("Cảm ơn bạn: cơ quan đã nhận thông tin bổ sung.")).to_be_visible()

    # The agency answers: resolved.
    officer.reload()
    officer.get_by_text("Trả lời: đã giải quyết", exact=True).first.click()
    officer.get_by_label("Trả lời công khai cho người dân").fill("Đã vá ổ gà trước cổng trường.")
    officer.get_by_role("button", name="Trả lời: đã giải quyết").click()
    expect(officer.get_by_text("Đã giải quyết").first).to_be_visible()
    officer_ctx.close()

    # My reports: the card says what to do; the report page has the timeline and the answer.
    page.goto("/me/reports")
    card = page.locator(".report-card", has_text=description[-10:])
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Đã xử lý")
    expect(card).to_contain_text("Đánh giá kết quả trả lời")
    page.screenshot(path=str(screenshot_dir / "citizen-my-reports-360.png"), full_page=True)
    card.get_by_role("link").click()
    expect(page.get_by_role("region", name="Trả lời của cơ quan")).to_contain_text("Đã vá ổ gà")
    timeline = page.locator(".timeline__item")
    expect(timeline.filter(has_text="Đã tiếp nhận").first).to_be_visible()
    expect(timeline.filter(has_text="sát vỉa hè")).to_have_count(1)
    expect(timeline.filter(has_text="Đã vá ổ gà")).to_have_count(1)
    page.screenshot(path=str(screenshot_dir / "citizen-report-answered-360.png"), full_page=True)
    assert _serious_axe_violations(page) == []

    page.get_by_role("radio", name=re.compile("4 · Hài lòng")).check()
    page.get_by_label("Nhận xét (không bắt buộc)").fill("Sửa nhanh, cảm ơn.")
    page.get_by_role("button", name="Gửi đánh giá").click()
    expect(page.get_by_text("Người dân đánh giá 4/5.")).to_be_visible()

    page.get_by_label("Vấn đề còn tồn tại là gì?").fill("Trời mưa, ổ gà lại xuất hiện.")
    page.get_by_role("button", name="Mở lại phản ánh").click()
    expect(page.locator(".report-status")).not_to_contain_text("Đã xử lý")
    expect(page.locator(".timeline__item").filter(has_text="ổ gà lại xuất hiện")).to_have_count(1)
    page.screenshot(path=str(screenshot_dir / "citizen-report-reopened-360.png"), full_page=True)

    # Someone about to report the same pothole sees it before sending, and can follow it.
    page.goto("/reports/new")
    page.get_by_label("Lĩnh vực", exact=True).select_option("road.pothole")
    page.get_by_role("button", name="Dùng vị trí của tôi").click()
    nearby = page.locator("[data-nearby]")
    expect(nearby.get_by_role("heading", name="Đã có người phản ánh gần đây?")).to_be_visible()
    expect(nearby.get_by_role("link", name=code)).to_be_visible()


def test_report_made_offline_is_sent_exactly_once(
    phone: BrowserContext, screenshot_dir: Path
) -> None:
    page = phone.new_page()
    _sign_in(page, "congdan@demo.ioc.vn")
    page.goto("/reports/new")
    _wait_for_worker(page)
    key = page.locator("[data-idempotency-key]").input_value()
    assert re.fullmatch(r"[0-9a-f-]{36}", key)  # made on the phone (crypto.randomUUID)

    phone.set_offline(True)
    expect(page.get_by_text("Bạn đang không có mạng")).to_be_visible()
    page.get_by_label("Lĩnh vực", exact=True).select_option("waste.illegal_dumping")
    description = f"Rác đổ trộm bên bờ suối, bốc mùi. [{uuid.uuid4().hex[:8]}]"
    page.get_by_label("Mô tả vấn đề").fill(description)
    page.get_by_label("Xã, phường").select_option(index=1)
    page.get_by_label("Địa chỉ hoặc điểm mốc").fill("Cạnh cầu Gia Bảy")
    page.locator("#photos").set_input_files(
        files=[{"name": "rac.jpg", "mimeType": "image/jpeg", "buffer": _photo(1200, 900)}]
    )
    expect(page.locator("[data-photo-previews] img")).to_have_count(1)
    page.get_by_role("button", name="Gửi phản ánh").click()

    expect(page.get_by_role("heading", name="Đã lưu trên điện thoại")).to_be_visible()
    waiting = page.locator(f"[data-outbox-key='{key}']")
    expect(waiting).to_contain_text("Đang chờ gửi")
    expect(waiting).to_contain_text("1 ảnh")
    badge = page.locator(".tabbar a[href='/me/reports'] .count-badge")
    expect(badge).to_have_text("1")
    page.screenshot(path=str(screenshot_dir / "citizen-offline-saved-360.png"), full_page=True)

    # Offline, another page of the app is the offline page, listing what waits.
    page.goto("/me/reports")
    expect(page.get_by_role("heading", name="Không có kết nối mạng")).to_be_visible()
    expect(page.locator(f"[data-outbox-key='{key}']")).to_contain_text("Đang chờ gửi")
    page.screenshot(path=str(screenshot_dir / "citizen-offline-page-360.png"), full_page=True)
    # A second tab (the kept report form) also wants to send it when the network returns.
    other = phone.new_page()
    other.goto("/reports/new")
    expect(other.get_by_role("heading", name="Gửi phản ánh")).to_be_visible()
    # The kept copy is the anonymous form; for the person signed in on this phone it does not
    # ask again for a name and a phone number, and the map (kept by the worker) still works.
    expect(other.get_by_text("Bạn đã đăng nhập: phản ánh được gửi từ tài khoản")).to_be_visible()
    expect(other.get_by_label("Họ tên của bạn")).to_be_hidden()
    expect(other.locator("a.header-link[href^='/signin']")).to_be_hidden()
    expect(other.locator("[data-report-map] .leaflet-interactive").first).to_be_attached(
        timeout=10_000
    )
    other.screenshot(path=str(screenshot_dir / "citizen-offline-form-360.png"), full_page=True)

    phone.set_offline(False)
    sent = page.locator(f"[data-outbox-key='{key}']")
    expect(sent).to_contain_text(re.compile(r"Đã gửi — PA-\d{4}-\d{6}"), timeout=15_000)
    code = re.search(r"PA-\d{4}-\d{6}", sent.inner_text()).group(0)  # type: ignore[union-attr]
    other.reload()
    expect(other.locator(f"[data-outbox-key='{key}']")).to_contain_text(code)

    # Exactly one report, with its photo, in the person's reports.
    page.goto("/me/reports")
    expect(page.locator(".report-card", has_text=description[-10:])).to_have_count(1)
    expect(page.locator(f"[data-outbox-key='{key}']")).to_contain_text(code)
    expect(page.locator(".tabbar a[href='/me/reports'] .count-badge")).to_have_count(0)
    page.screenshot(path=str(screenshot_dir / "citizen-offline-sent-360.png"), full_page=True)
    page.goto(f"/reports/{code}")
    expect(page.get_by_text(description)).to_be_visible()
    expect(page.locator("img[alt^='Ảnh 1']")).to_be_visible()
    # Sending it again (a retry after a lost answer) returns the same report.
    again = page.evaluate(
        """async (key) => {
          const t = (await (await fetch('/csrf-token')).json()).token;
          const f = new FormData(); f.append('category_code', 'waste.illegal_dumping');
          f.append('description', 'x'.repeat(30)); f.append('area_code', '');
          f.append('idempotency_key', key);
          const r = await fetch('/reports/new', {method: 'POST', body: f,
            headers: {'X-CSRF-Token': t, 'X-IOC-Outbox': 'queued'}});
          return [r.status, (await r.json()).code]; }""",
        key,
    )
    assert again == [201, code]


def test_report_refused_after_the_network_returns_shows_why_and_try_again(
    phone: BrowserContext, screenshot_dir: Path
) -> None:
    page = phone.new_page()
    _sign_in(page, "congdan@demo.ioc.vn")
    page.goto("/reports/new")
    _wait_for_worker(page)
    key = page.locator("[data-idempotency-key]").input_value()

    # Offline, a report without a place on the map nor an address: the phone keeps it.
    phone.set_offline(True)
    page.get_by_label("Lĩnh vực", exact=True).select_option("waste.illegal_dumping")
    page.get_by_label("Mô tả vấn đề").fill(f"Rác thải đổ trộm ven đường. [{uuid.uuid4().hex[:8]}]")
    page.get_by_label("Xã, phường").select_option(index=2)
    page.get_by_role("button", name="Gửi phản ánh").click()
    expect(page.get_by_role("heading", name="Đã lưu trên điện thoại")).to_be_visible()

    # The network returns; the server refuses it (422): the phone says why, and offers to
    # try again or delete it. Nothing is half-saved.
    phone.set_offline(False)
    item = page.locator(f"[data-outbox-key='{key}']")
    expect(item).to_contain_text("Chưa gửi được", timeout=15_000)
    expect(item).to_contain_text("Cần kiểm tra lại phản ánh")
    expect(item).to_contain_text("Đánh dấu vị trí trên bản đồ")
    retry = item.get_by_role("button", name="Thử lại")
    expect(retry).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "citizen-outbox-refused-360.png"), full_page=True)
    badge = page.locator(".tabbar a[href='/me/reports'] .count-badge")
    expect(badge).to_have_text("1")

    # Trying again reaches the server again: still refused, still one item, the reason shown.
    with page.expect_response(lambda r: r.url.endswith("/reports/new") and r.status == 422):
        retry.click()
    expect(page.locator(f"[data-outbox-key='{key}']")).to_have_count(1)
    expect(page.locator(f"[data-outbox-key='{key}']")).to_contain_text("Cần kiểm tra lại")

    # Deleting it (after a confirmation) empties the outbox.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"[data-outbox-key='{key}']").get_by_role(
        "button", name=re.compile("^X(oá|óa)$")
    ).click()
    expect(page.locator(f"[data-outbox-key='{key}']")).to_have_count(0)
    expect(badge).to_have_count(0)


def test_question_without_a_place_is_answered_by_the_agency(
    browser: Browser, live_server: str, phone: BrowserContext, screenshot_dir: Path
) -> None:
    page = phone.new_page()
    _sign_in(page, "congdan@demo.ioc.vn")
    page.goto("/")
    page.locator(".home-actions").get_by_role("link", name=re.compile("Hỏi đáp, góp ý")).click()
    expect(page).to_have_url(re.compile(r"/feedback/new$"))
    expect(page.get_by_role("heading", name="Hỏi đáp, góp ý")).to_be_visible()
    # No map, no photos: a question needs no place.
    expect(page.locator("[data-report-map]")).to_have_count(0)
    expect(page.locator("input[type=file]")).to_have_count(0)
    send = page.get_by_role("button", name="Gửi câu hỏi, góp ý")
    # Empty: the error names the field, in Vietnamese.
    send.click()
    expect(page.locator(".error-summary")).to_contain_text("Hãy viết câu hỏi hoặc ý kiến góp ý")
    page.get_by_role("radio", name=re.compile("Phản ánh khác không có địa điểm")).check()
    question = (
        f"Xin hỏi: sửa lại mái tôn của nhà ở có cần xin giấy phép xây dựng không? "
        f"[{uuid.uuid4().hex[:6]}]"
    )
    page.get_by_label("Câu hỏi hoặc ý kiến góp ý của bạn").fill(question)
    page.screenshot(path=str(screenshot_dir / "citizen-question-form-360.png"), full_page=True)
    send.click()
    page.wait_for_url(re.compile(r"/reports/PA-\d{4}-\d{6}$"))
    code = page.url.rsplit("/", 1)[1]
    expect(page.get_by_text(question)).to_be_visible()
    expect(page.get_by_role("heading", name="Nội dung câu hỏi, góp ý")).to_be_visible()
    expect(page.locator(".map, [data-map]")).to_have_count(0)  # no place, no map
    page.screenshot(path=str(screenshot_dir / "citizen-question-sent-360.png"), full_page=True)

    staff_ctx = browser.new_context(base_url=live_server, viewport={"width": 1440, "height": 900})
    staff = staff_ctx.new_page()
    try:
        # No rule routes "other" matters: the operations centre sends it to the agency.
        _sign_in(staff, "vanhanh@demo.ioc.vn")
        staff.goto("/console/reports/triage")
        row = staff.locator("tr", has=staff.get_by_role("link", name=code))
        row.get_by_role("combobox").select_option(label="Sở Xây dựng")
        row.get_by_role("button").click()
        expect(staff.get_by_role("link", name=code)).to_have_count(0)
        staff.context.clear_cookies()

        # The agency's officer accepts and answers it.
        _sign_in(staff, "canbo@demo.ioc.vn")
        staff.goto(f"/console/reports/{code}")
        staff.get_by_role("button", name="Tiếp nhận").click()
        expect(staff.get_by_text("Đã tiếp nhận").first).to_be_visible()
        staff.get_by_text("Trả lời: đã giải quyết", exact=True).first.click()
        staff.get_by_label("Trả lời công khai cho người dân").fill(
            "Sửa mái nhà không làm thay đổi kết cấu chịu lực thì không cần giấy phép xây dựng."
        )
        staff.get_by_role("button", name="Trả lời: đã giải quyết").click()
        expect(staff.get_by_text("Đã giải quyết").first).to_be_visible()
    finally:
        staff_ctx.close()

    # The citizen reads the answer (and its agency) on the question's page, and in My reports.
    page.goto("/me/reports")
    card = page.locator(".report-card", has_text=code)
    expect(card).to_contain_text("Đã xử lý")
    card.get_by_role("link").first.click()
    expect(page.get_by_role("region", name="Trả lời của cơ quan")).to_contain_text(
        "không cần giấy phép xây dựng"
    )
    expect(page.get_by_text("Sở Xây dựng").first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "citizen-question-answered-360.png"), full_page=True)


def test_portal_pages_pass_axe_at_phone_size(phone: BrowserContext) -> None:
    page = phone.new_page()
    problems: dict[str, list[str]] = {}
    for path in ("/", "/reports/new", "/offline", "/signin"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        problems[path] = _serious_axe_violations(page)
    _sign_in(page, "congdan@demo.ioc.vn")
    for path in ("/", "/reports/new", "/me/reports", "/reports"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        problems["signed-in " + path] = _serious_axe_violations(page)
    # Keyboard: the skip link is the first stop and shows where the focus is.
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => [document.activeElement.className,"
        " getComputedStyle(document.activeElement).outlineStyle]"
    )
    assert focused[0] == "skip-link" and focused[1] != "none"
    assert {p: v for p, v in problems.items() if v} == {}


def test_report_form_works_without_javascript(
    browser: Browser, live_server: str, screenshot_dir: Path
) -> None:
    context = browser.new_context(base_url=live_server, java_script_enabled=False, **PHONE)
    page = context.new_page()
    _sign_in(page, "congdan@demo.ioc.vn")
    page.goto("/reports/new")
    # Without the script nothing is hidden: all three steps on one page.
    expect(page.locator("fieldset.step")).to_have_count(3)
    page.get_by_role("button", name="Gửi phản ánh").click()  # empty: the errors, by field
    expect(page.locator(".error-summary")).to_contain_text("Chọn lĩnh vực phản ánh")
    page.get_by_label("Lĩnh vực", exact=True).select_option("light.street_out")
    page.get_by_label("Mô tả vấn đề").fill("Ba cột đèn đường liền nhau không sáng từ tuần trước.")
    page.get_by_label("Xã, phường").select_option(index=3)
    page.get_by_label("Địa chỉ hoặc điểm mốc").fill("Đường Quang Trung, gần cầu")
    page.get_by_role("button", name="Gửi phản ánh").click()
    page.wait_for_url(re.compile(r"/reports/PA-\d{4}-\d{6}$"))
    expect(page.get_by_text("Ba cột đèn đường liền nhau")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "citizen-report-nojs-360.png"), full_page=True)
    context.close()
