"""No page may load anything from outside the machine: no CDN, no web font service, no tiles."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import make_user, sign_in

SRC = Path(__file__).resolve().parents[1] / "src" / "ioc"
OUTSIDE = re.compile(
    r"""(?:src|href|url)\s*[=(]\s*["']?(?:https?:)?//(?!127\.0\.0\.1|localhost)""", re.IGNORECASE
)


def test_templates_and_own_assets_reference_no_outside_address() -> None:
    offenders = []
    for path in (
        list(SRC.rglob("*.html"))
        + list((SRC / "web" / "static" / "css").rglob("*.css"))
        + list((SRC / "web" / "static" / "js").rglob("*.js"))
    ):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(SRC)}:{number}: {line.strip()[:120]}")
    assert offenders == []


def test_rendered_pages_reference_no_outside_address(client: TestClient, seeded: Session) -> None:
    user = make_user(seeded, "administrator")
    pages = ["/", "/signin"]
    sign_in(client, user.email)  # type: ignore[attr-defined]
    pages += ["/console", "/admin", "/admin/users", "/admin/agencies"]
    for page in pages:
        html = client.get(page).text
        found = re.findall(r"""(?:src|href)=["']((?:https?:)?//[^"']+)""", html)
        assert found == [], f"{page} loads {found}"
