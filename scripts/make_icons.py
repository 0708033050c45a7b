"""Draw the citizen app's PNG icons from static/img/logo.svg with Debian's Chromium.

    .venv/bin/python scripts/make_icons.py

Writes icon-192.png, icon-512.png (the logo with its rounded corners), maskable-192.png,
maskable-512.png (full-bleed background, the mark inside the 80 % safe zone) and
apple-touch-icon.png (180 px, opaque) into src/ioc/web/static/img/. The PNGs are committed;
run again only when the logo changes."""

from __future__ import annotations

import base64
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

IMG = Path(__file__).resolve().parents[1] / "src/ioc/web/static/img"
BACKGROUND = "linear-gradient(135deg, #1f6fb8, #0d3a66)"


def _page(svg_uri: str, size: int, *, maskable: bool) -> str:
    # Maskable: the platform crops to any shape inside a circle of 80 % diameter, so the
    # background fills the square and the logo (without its own rounded square) sits inside.
    inner = round(size * (0.78 if maskable else 1.0))
    bg = BACKGROUND if maskable else "transparent"
    return (
        "<!doctype html><html><body style='margin:0'>"
        f"<div style='width:{size}px;height:{size}px;display:grid;place-items:center;"
        f"background:{bg}'><img src='{svg_uri}' width='{inner}' height='{inner}'></div>"
        "</body></html>"
    )


def main() -> None:
    svg = (IMG / "logo.svg").read_text(encoding="utf-8")
    plain = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    # For maskable icons the rounded square would show as a box: draw it transparent.
    bare = svg.replace('rx="16" fill="url(#logo-bg)"', 'rx="16" fill="none"')
    bare_uri = "data:image/svg+xml;base64," + base64.b64encode(bare.encode()).decode()
    targets = [
        ("icon-192.png", 192, plain, False),
        ("icon-512.png", 512, plain, False),
        ("maskable-192.png", 192, bare_uri, True),
        ("maskable-512.png", 512, bare_uri, True),
        ("apple-touch-icon.png", 180, bare_uri, True),
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        for name, size, uri, maskable in targets:
            page = browser.new_page(viewport={"width": size, "height": size})
            page.set_content(_page(uri, size, maskable=maskable))
            page.wait_for_load_state("load")
            page.screenshot(path=str(IMG / name), omit_background=not maskable)
            page.close()
            # Chromium's PNGs are not compressed hard: a palette of 256 colours looks the same.
            image = Image.open(IMG / name).convert("RGBA")
            image.quantize(256, method=Image.Quantize.FASTOCTREE).save(IMG / name, optimize=True)
            print(name, (IMG / name).stat().st_size, "bytes")
        browser.close()


if __name__ == "__main__":
    main()
