"""The notices pages as people use them: the banner per commune, the list and the chooser,
the console's publish flow, reports near me and the directory."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.kit.events import Event
from ioc.notices.models import Notice
from ioc.reports.models import Report
from tests.conftest import csrf_from, make_user, sign_in
from tests.notices.conftest import communes, make_alert, make_notice, person


def _banner(html: str) -> str:
    match = re.search(r'<section class="ealerts".*?</section>', html, re.S)
    return match.group(0) if match else ""


def test_the_banner_shows_only_in_the_targeted_commune(client: TestClient, seeded: Session) -> None:
    a, b = communes(seeded, 2)
    make_alert(seeded, person(seeded, "operator"), areas=(a.code,), title="Lũ sông Cầu")
    seeded.commit()
    client.cookies.set("ioc_commune", a.code)
    assert "Lũ sông Cầu" in _banner(client.get("/").text)
    assert "Lũ sông Cầu" in _banner(client.get("/reports").text)
    client.cookies.set("ioc_commune", b.code)
    page = client.get("/").text
    assert _banner(page) == "" and "Lũ sông Cầu" not in page
    client.cookies.clear()
    assert _banner(client.get("/notices").text) == ""
    # ?commune= works once, without the cookie.
    assert "Lũ sông Cầu" in _banner(client.get(f"/directory?commune={a.code}").text)


def test_only_an_extreme_alert_cannot_be_dismissed(client: TestClient, seeded: Session) -> None:
    operator = person(seeded, "operator")
    make_alert(seeded, operator, severity="warning", title="Rét đậm")
    make_alert(seeded, operator, severity="extreme", title="Vỡ đê")
    seeded.commit()
    banner = _banner(client.get("/").text)
    alerts = re.findall(
        r'<div class="ealert ealert--(\w+)".*?</div>\s*(?:<button.*?</button>)?', banner, re.S
    )
    assert alerts[0] == "extreme"  # the most severe first
    extreme, warning = banner.split("ealert--warning")
    assert "ealert__close" not in extreme and "ealert__close" in warning
    assert "Khẩn cấp" in banner or "Cực kỳ nguy hiểm" in banner


def test_the_banner_is_absent_from_the_console(client: TestClient, seeded: Session) -> None:
    make_alert(seeded, person(seeded, "operator"), title="Lũ sông Cầu")
    operator = make_user(seeded, "operator")
    sign_in(client, operator.email)  # type: ignore[attr-defined]
    assert 'class="ealerts"' not in client.get("/console/notices").text


def test_the_list_follows_the_chosen_commune(client: TestClient, seeded: Session) -> None:
    a, b = communes(seeded, 2)
    operator = person(seeded, "operator")
    make_notice(seeded, operator, title="Cắt nước riêng xã A", areas=(a.code,))
    make_notice(seeded, operator, title="Thông báo toàn tỉnh")
    seeded.commit()
    page = client.get("/notices")
    assert "Thông báo toàn tỉnh" in page.text and "Cắt nước riêng xã A" not in page.text
    chosen = client.get(f"/notices?commune={a.code}")
    assert chosen.cookies.get("ioc_commune") == a.code
    assert "Cắt nước riêng xã A" in chosen.text
    assert "Cắt nước riêng xã A" in client.get("/notices").text  # the cookie remembers it
    client.cookies.set("ioc_commune", b.code)
    assert "Cắt nước riêng xã A" not in client.get("/notices").text
    # An unknown commune sets nothing.
    assert client.get("/notices?commune=00000").cookies.get("ioc_commune") is None


def test_a_notice_page_and_the_home_page(client: TestClient, seeded: Session) -> None:
    notice = make_notice(
        seeded,
        person(seeded, "operator"),
        title="Lịch tiêm vắc xin sởi",
        body="<h2>Lịch</h2><p>Sáng thứ Bảy.</p>",
    )
    # A row written around the service still cannot carry a script to the page.
    notice.body_html += '<script>alert("x")</script><p onclick="x()">Thêm</p>'
    seeded.commit()
    page = client.get(f"/notices/{notice.id}")
    assert page.status_code == 200
    assert "<h2>Lịch</h2>" in page.text and "alert(" not in page.text
    assert 'onclick="x()"' not in page.text
    assert "Lịch tiêm vắc xin sởi" in client.get("/").text
    assert client.get("/notices/999999").status_code == 404


def test_an_operator_publishes_from_the_console(client: TestClient, seeded: Session) -> None:
    a, _b = communes(seeded, 2)
    operator = make_user(seeded, "operator")
    sign_in(client, operator.email)  # type: ignore[attr-defined]
    form = client.get("/console/notices/new")
    assert form.status_code == 200
    token = csrf_from(form.text)
    fields = {
        "csrf_token": token,
        "kind": "notice",
        "title": "Thông báo tạm ngừng cấp điện",
        "summary": "Bảo dưỡng lưới điện.",
        "body": "<p>Từ 7 giờ đến 11 giờ.</p><script>alert(1)</script>",
        "agency": "SXD",
        "areas": [a.code],
        "publish_at": "",
        "expires_at": "",
    }
    preview = client.post("/console/notices/new", data={**fields, "action": "preview"})
    assert preview.status_code == 200 and "<p>Từ 7 giờ đến 11 giờ.</p>" in preview.text
    assert seeded.scalar(select(Notice.id).where(Notice.title == fields["title"])) is None
    bad = client.post("/console/notices/new", data={**fields, "title": "", "action": "publish"})
    assert bad.status_code == 422 and 'href="#field-title"' in bad.text
    done = client.post("/console/notices/new", data={**fields, "action": "publish"})
    assert done.status_code == 303
    notice = seeded.scalars(select(Notice).where(Notice.title == fields["title"])).one()
    assert notice.status == "published" and "script" not in notice.body_html
    assert seeded.scalar(
        select(Event.id).where(Event.type == "notice.published", Event.subject_id == str(notice.id))
    )
    listed = client.get("/console/notices")
    assert fields["title"] in listed.text
    # Withdraw it.
    edit = client.get(f"/console/notices/{notice.id}")
    out = client.post(
        f"/console/notices/{notice.id}/withdraw",
        data={"csrf_token": csrf_from(edit.text), "reason": "Hoãn"},
    )
    assert out.status_code == 303
    seeded.refresh(notice)
    assert notice.status == "withdrawn"


def test_console_pages_are_for_publishers(client: TestClient, seeded: Session) -> None:
    assert client.get("/console/notices").status_code == 303  # to sign in
    citizen = make_user(seeded, "citizen")
    sign_in(client, citizen.email)  # type: ignore[attr-defined]
    assert client.get("/console/notices").status_code == 403
    assert client.get("/console/notices/alerts").status_code == 403
    page = client.get("/notices")
    response = client.post(
        "/console/notices/new",
        data={"csrf_token": csrf_from(page.text), "title": "x", "body": "<p>x</p>"},
    )
    assert response.status_code == 403


def test_a_form_without_its_token_is_refused(client: TestClient, seeded: Session) -> None:
    operator = make_user(seeded, "operator")
    sign_in(client, operator.email)  # type: ignore[attr-defined]
    response = client.post("/console/notices/new", data={"title": "x", "body": "<p>x</p>"})
    assert response.status_code == 403


def test_an_operator_publishes_an_alert(client: TestClient, seeded: Session) -> None:
    a, b = communes(seeded, 2)
    operator = make_user(seeded, "operator")
    sign_in(client, operator.email)  # type: ignore[attr-defined]
    page = client.get("/console/notices/alerts")
    assert page.status_code == 200
    ends = re.search(r'name="ends_at" type="datetime-local" value="([^"]+)"', page.text)
    assert ends
    data = {
        "csrf_token": csrf_from(page.text),
        "title": "Cảnh báo sạt lở đất",
        "message": "Di chuyển khỏi khu vực taluy.",
        "severity": "danger",
        "areas": [a.code],
        "starts_at": "",
        "ends_at": ends.group(1),
    }
    assert client.post("/console/notices/alerts", data={**data, "severity": "x"}).status_code == 422
    assert client.post("/console/notices/alerts", data=data).status_code == 303
    client.cookies.set("ioc_commune", a.code)
    assert "Cảnh báo sạt lở đất" in _banner(client.get("/notices").text)
    client.cookies.set("ioc_commune", b.code)
    assert "Cảnh báo sạt lở đất" not in client.get("/notices").text


# --- reports near me ------------------------------------------------------------------------


def _report_at(session: Session, lat: float, lon: float, text: str, **fields: object) -> Report:
    from tests.reports.conftest import make_category, make_report

    category = make_category(session)
    return make_report(session, category, lat=lat, lon=lon, description=text, **fields)


def test_reports_near_me_are_sorted_by_distance(client: TestClient, seeded: Session) -> None:
    here = (21.5942, 105.8482)
    far = _report_at(seeded, 21.6042, 105.8482, "Cách khoảng 1,1 km")
    near = _report_at(seeded, 21.5947, 105.8482, "Cách khoảng 55 m")
    middle = _report_at(seeded, 21.5992, 105.8482, "Cách khoảng 550 m")
    outside = _report_at(seeded, 21.6500, 105.8482, "Cách khoảng 6 km")
    near.public_answer = "Đã vá ổ gà ngày hôm qua."
    seeded.commit()
    page = client.get(f"/reports?lat={here[0]}&lon={here[1]}&radius=2000")
    assert page.status_code == 200
    codes = re.findall(r'href="/reports/(PA-\d{4}-\d{6})"', page.text)
    assert codes == [near.code, middle.code, far.code]
    assert outside.code not in page.text
    assert "Đã vá ổ gà ngày hôm qua." in page.text
    assert "55 m" in page.text
    geo = client.get(f"/reports/map.geojson?status=open&lat={here[0]}&lon={here[1]}&radius=1000")
    titles = [f["properties"]["title"] for f in geo.json()["features"]]
    assert [t.split(" · ")[0] for t in titles] == [near.code, middle.code]
    assert "Đã vá ổ gà" in titles[0]


def test_reports_in_my_commune(client: TestClient, seeded: Session) -> None:
    a, b = communes(seeded, 2)
    from tests.reports.conftest import make_category, make_report

    category = make_category(seeded)
    mine = make_report(seeded, category, area=a, description="Đèn đường hỏng ở xã tôi")
    other = make_report(seeded, category, area=b, description="Rác ở xã khác")
    seeded.commit()
    client.cookies.set("ioc_commune", a.code)
    page = client.get("/reports")
    assert f'href="/reports?area={a.code}' in page.text
    only = client.get(f"/reports?area={a.code}").text
    assert mine.code in only and other.code not in only


# --- directory ------------------------------------------------------------------------------


def test_the_directory_lists_hotlines_with_tap_to_call(client: TestClient, seeded: Session) -> None:
    page = client.get("/directory").text
    for number in ("113", "114", "115", "111", "1022"):
        assert f'href="tel:{number}"' in page
    assert 'href="tel:0208' in page  # agencies' own numbers
    found = client.get("/directory?q=cuu hoa").text  # typed without diacritics
    assert 'href="tel:114"' in found and 'href="tel:113"' not in found


def test_a_notice_with_an_image(client: TestClient, seeded: Session) -> None:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (900, 600), (20, 90, 160)).save(buffer, "JPEG")
    operator = make_user(seeded, "operator")
    sign_in(client, operator.email)  # type: ignore[attr-defined]
    form = client.get("/console/notices/new")
    response = client.post(
        "/console/notices/new",
        data={
            "csrf_token": csrf_from(form.text),
            "kind": "news",
            "title": "Khánh thành cầu mới",
            "body": "<p>Cầu mới nối hai bờ sông Cầu.</p>",
            "image_alt": "Cây cầu mới",
            "action": "save",
        },
        files={"image": ("cau.jpg", buffer.getvalue(), "image/jpeg")},
    )
    assert response.status_code == 303
    notice = seeded.scalars(select(Notice).where(Notice.title == "Khánh thành cầu mới")).one()
    assert notice.status == "draft" and notice.image_key
    # A draft's image is for staff only.
    assert client.get(f"/notices/{notice.id}/image/thumb").status_code == 200
    client.cookies.clear()
    assert client.get(f"/notices/{notice.id}/image/thumb").status_code == 404
    sign_in(client, operator.email)  # type: ignore[attr-defined]
    edit = client.get(f"/console/notices/{notice.id}")
    client.post(
        f"/console/notices/{notice.id}",
        data={
            "csrf_token": csrf_from(edit.text),
            "kind": "news",
            "title": "Khánh thành cầu mới",
            "body": "<p>Cầu mới nối hai bờ sông Cầu.</p>",
            "image_alt": "Cây cầu mới",
            "action": "publish",
        },
    )
    client.cookies.clear()
    page = client.get(f"/notices/{notice.id}")
    assert 'alt="Cây cầu mới"' in page.text
    image = client.get(f"/notices/{notice.id}/image/full")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    sign_in(client, operator.email)  # type: ignore[attr-defined]
    form = client.get("/console/notices/new")
    refused = client.post(
        "/console/notices/new",
        data={"csrf_token": csrf_from(form.text), "title": "Ảnh hỏng", "body": "<p>x</p>"},
        files={"image": ("x.jpg", b"not an image", "image/jpeg")},
    )
    assert refused.status_code == 422 and 'href="#field-image"' in refused.text


def test_the_json_api(client: TestClient, seeded: Session) -> None:
    a, b = communes(seeded, 2)
    operator = person(seeded, "operator")
    local = make_notice(seeded, operator, title="Riêng xã A", areas=(a.code,))
    make_notice(seeded, operator, title="Bản nháp", publish=False)
    make_alert(seeded, operator, areas=(a.code,), title="Lũ")
    seeded.commit()
    everyone = client.get("/api/v1/notices").json()
    assert [n["title"] for n in everyone] == []
    in_a = client.get(f"/api/v1/notices?commune={a.code}").json()
    assert [n["title"] for n in in_a] == ["Riêng xã A"] and in_a[0]["communes"] == [a.code]
    assert client.get(f"/api/v1/notices/{local.id}").json()["url"] == f"/notices/{local.id}"
    assert client.get("/api/v1/notices/999999").status_code == 404
    assert client.get("/api/v1/notices?commune=abc").status_code == 422
    alerts = client.get(f"/api/v1/emergency-alerts?commune={a.code}").json()
    assert [x["title"] for x in alerts] == ["Lũ"]
    assert client.get(f"/api/v1/emergency-alerts?commune={b.code}").json() == []
