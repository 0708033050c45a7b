"""Issue 5's "Done when", as a leader and an operator would try it on a 1920×1080 screen.

A leader opens the console in the demo and, without help, sees how the province is doing (the
figures and the scorecard), which agencies are late (their ranking), where problems cluster on
the map (the reports and the heat layer), and what just happened (the live feed, in Vietnamese,
growing without a reload); an operator handles an alert through its procedure from the
overview; the weekly report downloads as a PDF with its Vietnamese title. The step-by-step
procedure itself is tested in test_alerts.py; here the operator comes to it from the overview.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import io
import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from ioc.seed import DEMO_PASSWORD
from tests.e2e.test_console_overview import _citizen_files_a_report

ENGLISH_TITLE = re.compile(r"^(Report |Indicator |Alert )")


def _sign_in(page: Page, email: str) -> None:
    page.goto("/signin")
    page.get_by_label("Thư điện tử").fill(email)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def _number(text: str) -> float:
    match = re.search(r"\d[\d.]*(,\d+)?", text)
    assert match, text
    return float(match.group(0).replace(".", "").replace(",", "."))


def test_leader_sees_the_province_at_a_glance(
    page: Page, live_server: str, screenshot_dir: Path
) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    _sign_in(page, "lanhdao@demo.ioc.vn")
    expect(page).to_have_url(f"{live_server}/console")

    # How the province is doing: five report figures and a row of indicator tiles, with values.
    figures = page.locator("#ov-figures .tile__value")
    expect(figures).to_have_count(5)
    assert _number(figures.nth(0).inner_text()) > 0  # open reports
    assert _number(figures.nth(4).inner_text()) > 0  # resolved on time this month, %
    scorecard = page.locator("#ov-scorecard .ov__scorecard-tiles .tile__value")
    expect(scorecard.first).to_be_visible()
    values = [v for v in scorecard.all_inner_texts() if v.strip()]
    assert len(values) >= 4 and all(v.strip() != "—" for v in values[:4])

    # Which agencies are late: a ranking, worst first, each leading to its overdue reports.
    late = page.locator("[data-late-agencies]")
    expect(late.get_by_role("heading")).to_have_text("Cơ quan có phản ánh quá hạn")
    rows = late.locator("tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 3
    overdue = [_number(t) for t in late.locator("tbody td.num strong").all_inner_texts()]
    assert overdue == sorted(overdue, reverse=True) and overdue[0] > 0
    href = rows.first.get_by_role("link").get_attribute("href") or ""
    assert re.fullmatch(r"/console/reports\?agency=[A-Z0-9-]+&bucket=overdue", href), href

    # Where problems cluster: the open reports by age and the heat layer, drawn on the map.
    page.wait_for_function(
        "(() => { const m = document.querySelector('[data-ioc-map]').iocMap;"
        " return m && m.layers['reports.heat'] && m.layers['reports.by_age']; })()",
        timeout=15_000,
    )
    drawn = page.evaluate(
        "(() => { const l = document.querySelector('[data-ioc-map]').iocMap.layers;"
        " const n = (x) => x.getLayers ? x.getLayers().length : 0;"
        " return [n(l['reports.heat']), n(l['reports.by_age'])]; })()"
    )
    assert drawn[0] > 5 and drawn[1] > 20, drawn  # heat cells, open reports

    # What just happened: the demo's last days on the live feed, in Vietnamese.
    expect(page.locator("[data-live-status]")).to_have_attribute(
        "data-state", "live", timeout=10_000
    )
    feed = page.locator("[data-live-list] li")
    assert feed.count() >= 10
    titles = feed.locator(".event__title").all_inner_texts()
    assert not [t for t in titles if ENGLISH_TITLE.match(t)], titles
    assert any("Phản ánh PA-" in t for t in titles)

    # The open alerts counted on the menu.
    badge = page.locator('[data-nav-badge="alerts"]')
    expect(badge).to_be_visible()
    assert int(badge.inner_text()) >= 1

    # A report filed now appears at the top of the feed, without a reload.
    page.evaluate("window.__sameDocument = true")
    code = _citizen_files_a_report(live_server)
    filed = page.locator("[data-live-list] li", has_text=f"Phản ánh {code} đã được gửi")
    expect(filed).to_have_count(1, timeout=5_000)
    routed = page.locator("[data-live-list] li", has_text=f"Phản ánh {code} đã chuyển đến")
    expect(routed).to_have_count(1)
    # The agency by its name, not its code.
    assert re.search(
        r"đã chuyển đến (Sở|UBND|Công ty|Ủy ban|Phòng|Trung tâm|Ban)", routed.inner_text()
    )
    assert page.evaluate("window.__sameDocument === true")
    assert page.evaluate("document.documentElement.scrollHeight") <= 1080
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshot_dir / "console-done-when-leader-1920.png"))

    # The same in wall mode: dark, no menu, no scrolling.
    page.goto("/console?wall=1")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(page.locator("[data-late-agencies] tbody tr").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollHeight") <= 1080
    page.wait_for_timeout(1500)
    page.screenshot(path=str(screenshot_dir / "console-done-when-wall-1920.png"))


def test_operator_handles_an_alert_from_the_overview(
    browser: Browser, live_server: str, screenshot_dir: Path
) -> None:
    # The leader's overview stays open on another screen meanwhile.
    wall = browser.new_context(base_url=live_server, viewport={"width": 1920, "height": 1080})
    leader = wall.new_page()
    _sign_in(leader, "lanhdao@demo.ioc.vn")
    expect(leader.locator("[data-live-status]")).to_have_attribute(
        "data-state", "live", timeout=10_000
    )
    leader.evaluate("window.__sameDocument = true")
    context = browser.new_context(base_url=live_server, viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    _sign_in(page, "vanhanh@demo.ioc.vn")
    expect(page).to_have_url(f"{live_server}/console")
    badge = page.locator('[data-nav-badge="alerts"]')
    before = int(badge.inner_text())
    # The spike alert of the demo, in the overview's alert panel (loaded by htmx).
    link = page.locator(".alerts-panel__link", has_text="Đột biến").first
    expect(link).to_be_visible(timeout=10_000)
    link.click()
    expect(page).to_have_url(re.compile(r"/console/alerts/\d+$"))
    expect(page.get_by_role("heading", name=re.compile("^Quy trình:"))).to_be_visible()
    steps = page.locator("[data-step-done]")
    remaining = steps.count()
    assert remaining >= 1
    for n in range(remaining):
        page.locator(".alerts-step__form input[name=note]").first.fill(f"Đã làm bước {n + 1}")
        page.locator("[data-step-done]").first.click()
        expect(page.locator("[data-step-done]")).to_have_count(remaining - n - 1)
    page.locator("summary", has_text="Kết thúc xử lý").click()
    page.get_by_label("Đã làm gì").fill("Đã cử tổ công tác kiểm tra hiện trường, đã khắc phục.")
    page.get_by_role("button", name="Kết thúc xử lý").click()
    expect(page.locator(".alerts-status").get_by_text("Đã xử lý")).to_be_visible()
    page.screenshot(
        path=str(screenshot_dir / "console-done-when-alert-resolved-1920.png"), full_page=True
    )
    # On the leader's open overview, without a reload: the feed says so, in Vietnamese, and
    # the menu counts one open alert fewer.
    expect(
        leader.locator("[data-live-list] li", has_text="Đã xử lý xong cảnh báo: Đột biến").first
    ).to_be_visible(timeout=5_000)
    badge_now = leader.locator('[data-nav-badge="alerts"]')
    if before > 1:
        expect(badge_now).to_have_text(str(before - 1), timeout=5_000)
    else:
        expect(badge_now).to_have_count(0, timeout=5_000)
    assert leader.evaluate("window.__sameDocument === true")
    # And on a fresh page too.
    page.goto("/console")
    if before > 1:
        expect(page.locator('[data-nav-badge="alerts"]')).to_have_text(str(before - 1))
    else:
        expect(page.locator('[data-nav-badge="alerts"]')).to_have_count(0)
    context.close()
    wall.close()


def test_leader_downloads_the_weekly_report_as_pdf(
    page: Page, live_server: str, screenshot_dir: Path
) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    _sign_in(page, "lanhdao@demo.ioc.vn")
    page.goto("/console/briefings")
    row = page.locator("table tbody tr", has_text="Báo cáo tuần").first
    if not row.count():
        page.get_by_role("button", name="Lập bản PDF và Excel").click()
        expect(page.locator(".flash")).to_contain_text("Báo cáo tuần")
        row = page.locator("table tbody tr", has_text="Báo cáo tuần").first
    page.screenshot(path=str(screenshot_dir / "console-done-when-briefings-1920.png"))
    with page.expect_download() as download_info:
        row.get_by_role("link", name="PDF").click()
    download = download_info.value
    path = download.path()
    assert path is not None
    data = Path(path).read_bytes()
    assert data[:5] == b"%PDF-"
    pdf = PdfReader(io.BytesIO(data))
    first = pdf.pages[0].extract_text()
    # The heading of an official report of the province, in Vietnamese with its diacritics.
    assert re.search(r"BÁO CÁO TUẦN \d{1,2}/20\d\d", first), first[:300]
    assert "ỦY BAN NHÂN DÂN TỈNH THÁI NGUYÊN" in first
    assert "Tình hình tiếp nhận, xử lý phản ánh hiện trường" in first
    (screenshot_dir / "console-done-when-weekly-report.pdf").write_bytes(data)
