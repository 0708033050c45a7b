"""The citizen app as one piece, over real HTTP: the header's bell, whether a page was made for
someone signed in (the phone remembers it for the offline copies), the home page's actions in
the order people need them, and the service worker keeping the report form's map."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ioc.portal.models import Notification
from tests.conftest import make_user, sign_in


def _signed_in_flag(html: str) -> str:
    match = re.search(r'class="portal[^"]*" data-signed-in="([^"]*)"', html)
    assert match, "the portal shell says whether someone is signed in"
    return match.group(1)


def test_anonymous_pages_have_no_bell_and_say_so(client: TestClient, seeded: Session) -> None:
    home = client.get("/")
    assert home.status_code == 200
    assert _signed_in_flag(home.text) == "0"
    assert 'class="header-link bell"' not in home.text
    form = client.get("/reports/new")
    assert _signed_in_flag(form.text) == "0"
    # The contact fields are the part outbox.js hides on the offline copy of a signed-in phone.
    anonymous_part = form.text.split("<div data-when-anonymous>", 1)[1].split("data-check-answers")[
        0
    ]
    assert 'name="reporter_name"' in anonymous_part and 'name="reporter_phone"' in anonymous_part
    assert "data-when-signed-in hidden" in form.text


def test_signed_in_citizen_gets_the_bell_and_home_actions_in_order(
    client: TestClient, seeded: Session
) -> None:
    user = make_user(seeded, "citizen")
    assert sign_in(client, user.email).status_code == 303  # type: ignore[attr-defined]
    home = client.get("/")
    assert _signed_in_flag(home.text) == "1"
    assert 'class="header-link bell" href="/notifications"' in home.text
    assert 'aria-label="Thông báo của tôi"' in home.text
    assert "bell__count" not in home.text
    seeded.add(
        Notification(
            user_id=user.id,  # type: ignore[attr-defined]
            dedupe_key="t:bell",
            kind="report.closed",
            params={"code": "PA-2026-000010"},
            url="/reports/PA-2026-000010",
        )
    )
    seeded.commit()
    home = client.get("/")
    assert 'aria-label="Thông báo của tôi: 1 chưa đọc"' in home.text
    assert re.search(r'<span class="bell__count" aria-hidden="true">1</span>', home.text)
    # The bell's styles are the header's own (ioc.css), not a page's extra stylesheet.
    assert "portal-accounts.css" not in home.text
    # Report, ask, follow, read the notices; the rest after.
    actions = re.findall(r'<a class="action[^"]*" href="([^"]+)"', home.text)
    assert actions[:4] == ["/reports/new", "/feedback/new", "/me/reports", "/notices"]
    assert actions.index("/directory") > actions.index("/notices")
    # Notices and the person's notifications are named apart.
    assert "Thông báo của tôi" in client.get("/notifications").text
    # Six menu items: the tab bar keeps five (the directory stays on the home page).
    tabbar = home.text.split('class="tabbar"', 1)[1]
    assert tabbar.count('class="tabbar__link"') == 5
    assert 'href="/directory"' not in tabbar


def test_service_worker_keeps_the_report_forms_map(client: TestClient, seeded: Session) -> None:
    worker = client.get("/sw.js")
    config = json.loads(re.search(r"var CONFIG = (\{.*?\});", worker.text).group(1))  # type: ignore[union-attr]
    version = config["version"]
    assert f"/static/vendor/leaflet.js?v={version}" in config["map"]
    assert f"/static/js/map.js?v={version}" in config["map"]
    assert "/static/vendor/images/marker-icon.png" in config["map"]
    assert config["layers"] == [
        "/geo/land.geojson",
        "/geo/neighbours.geojson",
        "/geo/province.geojson",
        "/geo/communes.geojson",
    ]
    for url in config["map"] + config["layers"]:
        assert client.get(url).status_code == 200, url
    # The kept copies are marked, so that the page can tell them from the server's.
    assert 'data-signed-in="copy"' in worker.text
