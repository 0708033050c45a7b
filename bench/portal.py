"""The citizen app's targets: the home page's weight, the server time of `/`, and the report
form on a throttled phone network.

    .venv/bin/python bench/portal.py                 # SQLite, demo data
    .venv/bin/python bench/portal.py --requests 400 --runs 5

Prepares a temp data dir with the demo data (`ioc db upgrade`, `ioc seed --demo`), starts
`ioc serve` (production settings, one worker) on a loopback port, then measures:

1. **Home page weight**: Debian's Chromium at 360×740 with an empty cache loads `/`; the bytes
   on the wire (compressed, headers included, from the DevTools protocol's encodedDataLength)
   of the page's own requests until the load event and the network is idle, split by type;
   whether Leaflet or ECharts were loaded (they must not be: no map on the home page). The
   service worker's background download of the shell (after the load event) is reported
   apart, as is a second visit.
2. **Server time of `/`**: N sequential requests on one keep-alive connection, anonymous and
   signed in as the demo citizen; p50/p95 beside `/healthz` measured the same way in the same
   run (the ratio removes the machine's speed).
3. **Report form on "Fast 3G"**: CDP Network.emulateNetworkConditions (latency 562.5 ms, down
   180,000 B/s ≈ 1.44 Mbit/s, up 84,375 B/s ≈ 675 kbit/s, as Chrome DevTools' preset) with an
   empty cache; the time from navigation start until the form is usable: the page's script has
   run (the idempotency key is made on the phone) and the category field can be typed in. The
   map arrives later and is reported apart.

Prints medians beside the targets; never fails because of a figure (see bench/README.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from appserver import prepare_environment, signin, start_server
from harness import BenchError, Target, targets_table

CHROMIUM = "/usr/bin/chromium"
FAST_3G = {
    "offline": False,
    "latency": 562.5,
    "downloadThroughput": 180_000,
    "uploadThroughput": 84_375,
}
HOME_TARGET_KB = 300.0
SERVER_P95_TARGET_MS = 20.0
FORM_TARGET_S = 2.0
CITIZEN = "congdan@demo.ioc.vn"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def server_times(base: str, path: str, n: int, cookie: str | None = None) -> dict[str, float]:
    headers = {"Accept-Encoding": "gzip"}
    if cookie:
        headers["Cookie"] = cookie
    times: list[float] = []
    with httpx.Client(base_url=base, headers=headers, timeout=10.0) as client:
        for i in range(n + 20):
            start = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - start) * 1000
            if response.status_code != 200:
                raise BenchError(f"GET {path}: HTTP {response.status_code}")
            if i >= 20:  # warm-up: the first requests fill the caches
                times.append(elapsed)
    return {
        "p50_ms": statistics.median(times),
        "p95_ms": percentile(times, 0.95),
        "max_ms": max(times),
    }


def app_times(
    env: dict[str, str], path: str, n: int, cookie: str | None = None
) -> dict[str, float]:
    """The application's own time (in-process ASGI, no sockets, no uvicorn): what the server
    spends on the request, without the loopback and the HTTP parsing of the over-HTTP figures."""
    import asyncio

    from ioc.app import create_app
    from ioc.config import Settings

    # The served app's settings (its secret key, so the citizen's cookie is valid here too).
    app = create_app(
        Settings(
            data_dir=Path(env["IOC_DATA_DIR"]),
            secret_key=env["IOC_SECRET_KEY"],
            env="production",
            scheduler=False,
            log_level="WARNING",
        )
    )
    headers = {"Accept-Encoding": "gzip", **({"Cookie": cookie} if cookie else {})}

    async def run() -> list[float]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1", headers=headers
        ) as client:
            times: list[float] = []
            for i in range(n + 20):
                start = time.perf_counter()
                response = await client.get(path)
                if response.status_code != 200:
                    raise BenchError(f"in-process GET {path}: HTTP {response.status_code}")
                if i >= 20:
                    times.append((time.perf_counter() - start) * 1000)
            return times

    times = asyncio.run(run())
    return {
        "p50_ms": statistics.median(times),
        "p95_ms": percentile(times, 0.95),
        "max_ms": max(times),
    }


def _kind(url: str, mime: str) -> str:
    if "leaflet" in url:
        return "leaflet"
    if "echarts" in url:
        return "echarts"
    if mime.startswith("text/html"):
        return "html"
    if "css" in mime:
        return "css"
    if "javascript" in mime:
        return "js"
    if "font" in mime or url.endswith(".woff2"):
        return "font"
    if mime.startswith("image/"):
        return "image"
    return "other"


def page_weight(browser: Any, base: str) -> dict[str, Any]:
    """Bytes on the wire for the home page, empty cache, then what the worker fetches."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    requests: dict[str, dict[str, Any]] = {}
    phase = {"name": "page"}

    def on_response(event: dict[str, Any]) -> None:
        r = event["response"]
        requests[event["requestId"]] = {
            "url": r["url"],
            "mime": r.get("mimeType", ""),
            "phase": phase["name"],
            "bytes": 0,
        }

    def on_finished(event: dict[str, Any]) -> None:
        if event["requestId"] in requests:
            requests[event["requestId"]]["bytes"] = event["encodedDataLength"]

    cdp.on("Network.responseReceived", on_response)
    cdp.on("Network.loadingFinished", on_finished)
    page.goto(base + "/", wait_until="load")
    page.wait_for_load_state("networkidle")
    page_requests = [r for r in requests.values() if r["phase"] == "page"]
    by_kind: dict[str, int] = {}
    for r in page_requests:
        kind = _kind(r["url"], r["mime"])
        by_kind[kind] = by_kind.get(kind, 0) + r["bytes"]
    # The worker downloads the shell in the background (its own requests, not the page's):
    # measure it by what its cache holds once it is ready.
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    shell_bytes = page.evaluate(
        """async () => { let total = 0;
        for (const name of await caches.keys()) { const c = await caches.open(name);
          for (const req of await c.keys()) { const r = await c.match(req);
            total += (await r.clone().arrayBuffer()).byteLength; } }
        return total; }"""
    )
    # A second visit: what is left to download.
    requests.clear()
    phase["name"] = "second"
    page.goto(base + "/", wait_until="load")
    page.wait_for_load_state("networkidle")
    second = sum(r["bytes"] for r in requests.values())
    context.close()
    return {
        "total_kb": sum(by_kind.values()) / 1024,
        "requests": len(page_requests),
        "by_kind_kb": {k: round(v / 1024, 1) for k, v in sorted(by_kind.items())},
        "map_or_charts_loaded": any(k in by_kind for k in ("leaflet", "echarts")),
        "worker_shell_uncompressed_kb": shell_bytes / 1024,
        "second_visit_kb": second / 1024,
    }


def form_on_fast_3g(browser: Any, base: str, cookie: str | None) -> dict[str, float]:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    if cookie:
        name, value = cookie.split("=", 1)
        context.add_cookies([{"name": name, "value": value, "url": base}])
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", FAST_3G)
    page.goto(base + "/reports/new", wait_until="commit")
    page.wait_for_function(
        "() => { const k = document.querySelector('[data-idempotency-key]');"
        " return k && k.value.length === 36; }",
        timeout=30_000,
        polling=20,
    )
    script_ms = page.evaluate("() => performance.now()")
    # Usable = the script has run AND the form is painted with its styles (first contentful
    # paint, which waits for the render-blocking stylesheets), whichever comes last.
    page.wait_for_function(
        "() => performance.getEntriesByName('first-contentful-paint').length > 0",
        timeout=30_000,
        polling=20,
    )
    fcp_ms = page.evaluate(
        "() => performance.getEntriesByName('first-contentful-paint')[0].startTime"
    )
    usable_ms = max(script_ms, fcp_ms)
    page.get_by_label("Tìm lĩnh vực").fill("o ga")  # the form answers at once
    expect(page.get_by_label("Lĩnh vực", exact=True)).to_have_value("road.pothole")
    page.wait_for_load_state("domcontentloaded")
    dcl_ms = page.evaluate(
        "() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
    )
    page.wait_for_selector("[data-report-map] .leaflet-interactive", timeout=60_000)
    map_ms = page.evaluate("() => performance.now()")
    context.close()
    return {
        "script_s": script_ms / 1000,
        "fcp_s": fcp_ms / 1000,
        "usable_s": usable_ms / 1000,
        "dcl_s": dcl_ms / 1000,
        "map_s": map_ms / 1000,
    }


def _create_missing_tables_after_upgrade() -> None:
    import appserver

    upgrade = appserver.Environment.run_ioc

    def run_ioc(self: Any, *args: str, timeout: float = appserver.SETUP_TIMEOUT_S) -> float:
        elapsed = upgrade(self, *args, timeout=timeout)
        if args == ("db", "upgrade"):
            from ioc.config import Settings
            from ioc.db import Base, Database
            from ioc.modules import import_all_models

            settings = Settings(data_dir=self.data_dir, database_url=self.database_url)
            import_all_models()
            Base.metadata.create_all(Database(settings.resolved_database_url).engine)
        return elapsed

    appserver.Environment.run_ioc = run_ioc  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per server timing")
    parser.add_argument("--runs", type=int, default=3, help="browser runs (medians)")
    parser.add_argument(
        "--create-all",
        action="store_true",
        help="after `ioc db upgrade`, create the tables that have no migration yet (as the "
        "tests' IOC_TEST_CREATE_ALL), while a new model waits for its migration",
    )
    args = parser.parse_args(argv)
    if args.create_all:
        _create_missing_tables_after_upgrade()
    from playwright.sync_api import sync_playwright

    with ExitStack() as stack:
        print("Preparing the demo data…", flush=True)
        environment = stack.enter_context(prepare_environment("sqlite"))
        server = stack.enter_context(start_server(environment))
        base = f"http://127.0.0.1:{server.port}"
        cookie = signin(base, CITIZEN)

        print("Server time…", flush=True)
        ceiling = server_times(base, "/healthz", args.requests)
        anonymous = server_times(base, "/", args.requests)
        citizen = server_times(base, "/", args.requests, cookie)
        form = server_times(base, "/reports/new", args.requests, cookie)
        in_ceiling = app_times(environment.env, "/healthz", args.requests)
        in_anonymous = app_times(environment.env, "/", args.requests)
        in_citizen = app_times(environment.env, "/", args.requests, cookie)

        print("Browser…", flush=True)
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        weights = [page_weight(browser, base) for _ in range(args.runs)]
        fast3g = [form_on_fast_3g(browser, base, cookie) for _ in range(args.runs)]
        browser.close()

    weight = weights[-1]
    home_kb = statistics.median(w["total_kb"] for w in weights)
    usable = statistics.median(f["usable_s"] for f in fast3g)
    print()
    print("## Server time (sequential, keep-alive, gzip)\n")
    print("| route | p50 ms | p95 ms | max ms | p95 ÷ /healthz p95 |")
    print("|---|---:|---:|---:|---:|")
    for name, fig in (
        ("/healthz (baseline)", ceiling),
        ("/ anonymous", anonymous),
        ("/ citizen", citizen),
        ("/reports/new citizen", form),
    ):
        ratio = fig["p95_ms"] / ceiling["p95_ms"] if ceiling["p95_ms"] else 0
        print(
            f"| {name} | {fig['p50_ms']:.2f} | {fig['p95_ms']:.2f} | {fig['max_ms']:.2f} "
            f"| {ratio:.1f}× |"
        )
    print("\n## Application time (in-process ASGI, same data)\n")
    print("| route | p50 ms | p95 ms | max ms | p95 ÷ /healthz p95 |")
    print("|---|---:|---:|---:|---:|")
    for name, fig in (
        ("/healthz (baseline)", in_ceiling),
        ("/ anonymous", in_anonymous),
        ("/ citizen", in_citizen),
    ):
        ratio = fig["p95_ms"] / in_ceiling["p95_ms"] if in_ceiling["p95_ms"] else 0
        print(
            f"| {name} | {fig['p50_ms']:.2f} | {fig['p95_ms']:.2f} | {fig['max_ms']:.2f} "
            f"| {ratio:.1f}× |"
        )
    print("\n## Home page on a phone, empty cache\n")
    print(
        f"- transferred: **{home_kb:.1f} KB** in {weight['requests']} requests (median of "
        f"{len(weights)}): " + ", ".join(f"{k} {v} KB" for k, v in weight["by_kind_kb"].items())
    )
    print(f"- map or chart library loaded: {weight['map_or_charts_loaded']}")
    print(
        f"- then kept by the service worker in the background (uncompressed): "
        f"{weight['worker_shell_uncompressed_kb']:.1f} KB"
    )
    print(
        f"- second visit, fetched by the page itself: {weight['second_visit_kb']:.1f} KB (the "
        "service worker answers the shell from its cache; the page's HTML goes through the "
        "worker, whose requests the page's DevTools session does not see)"
    )
    print("\n## Report form on Fast 3G (562.5 ms, 1.44 Mbit/s down), empty cache\n")
    print("| run | form script ran s | first paint s | **usable s** | DOMContentLoaded s | map s |")
    print("|---|---:|---:|---:|---:|---:|")
    for i, f in enumerate(fast3g, 1):
        print(
            f"| {i} | {f['script_s']:.2f} | {f['fcp_s']:.2f} | **{f['usable_s']:.2f}** "
            f"| {f['dcl_s']:.2f} | {f['map_s']:.2f} |"
        )
    print()
    print(
        targets_table(
            [
                Target("home page transferred", home_kb, HOME_TARGET_KB, "KB"),
                Target(
                    "server p95 of / over HTTP (citizen)",
                    citizen["p95_ms"],
                    SERVER_P95_TARGET_MS,
                    "ms",
                ),
                Target(
                    "app p95 of / (citizen, in-process)",
                    in_citizen["p95_ms"],
                    SERVER_P95_TARGET_MS,
                    "ms",
                ),
                Target("report form usable on Fast 3G", usable, FORM_TARGET_S, "s"),
            ]
        )
    )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"bench/portal.py: {error}", file=sys.stderr)
        sys.exit(2)
