"""What the emergency banner costs every portal page, and the notices pages' server time.

    .venv/bin/python bench/notices.py                 # SQLite in a temp dir, demo data
    .venv/bin/python bench/notices.py --requests 500

In-process (the ASGI app driven by Starlette's TestClient, no network), on a temp SQLite
database built from the models (so it runs before the notices migration exists) and seeded
with the demo data (one running flood warning for the communes on the Cầu river). Sequential
requests, medians and p95 of the wall time per request, with `/healthz` measured the same way in
the same run as the baseline (the ratio removes the machine's speed):

1. the banner's page-context provider alone (what every portal page pays), for a visitor of a
   commune on the river, with the alert cache on (the default: read at most every few seconds)
   and off (`CACHE_SECONDS = 0`: a session and two queries per page); then `/reports`;
2. `/` (the home page also reads the latest notices), `/notices` and one notice.

Prints the figures; never fails because of one (see bench/README.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

RIVER_COMMUNE = "05443"  # Phường Phan Đình Phùng


def _measure(get: Callable[[], int], n: int) -> tuple[float, float]:
    for _ in range(min(20, n)):  # warm-up
        get()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        status = get()
        times.append((time.perf_counter() - start) * 1000)
        if status != 200:
            raise SystemExit(f"a request answered {status}: nothing measured")
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def _provider_timer(app: object, n: int) -> Callable[[], tuple[float, float]]:
    """The banner's page-context provider on its own, for a visitor of a river commune."""
    from starlette.requests import Request

    from ioc.kit.permissions import ANONYMOUS
    from ioc.notices.context import _banner

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/reports",
        "query_string": b"",
        "headers": [(b"cookie", f"ioc_commune={RIVER_COMMUNE}".encode())],
        "app": app,
    }

    def run() -> tuple[float, float]:
        def once() -> int:
            ctx = _banner(Request(scope), ANONYMOUS, "portal")
            return 200 if ctx.get("emergency_alerts") else 500

        return _measure(once, n)

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from ioc.app import create_app
    from ioc.config import Settings
    from ioc.db import Base, Database
    from ioc.modules import define_permissions, import_all_models
    from ioc.notices import service
    from ioc.seed import seed_all

    with tempfile.TemporaryDirectory(prefix="ioc-bench-notices-") as tmp:
        settings = Settings(
            env="production",
            data_dir=Path(tmp),
            secret_key="bench-" + "x" * 40,
            log_level="WARNING",
            scheduler=False,
        )
        db = Database(settings.resolved_database_url)
        import_all_models()
        define_permissions()
        Base.metadata.create_all(db.engine)
        seed_all(db, demo=True)
        app = create_app(settings, database=db)
        rows: list[tuple[str, float, float]] = []
        with TestClient(app) as client:
            client.cookies.set("ioc_commune", RIVER_COMMUNE)
            page = client.get("/reports?page=1")
            if "ealert--danger" not in page.text:
                raise SystemExit("the demo's flood warning is not shown: nothing to measure")
            notice_url = "/notices/1"

            def get(url: str) -> Callable[[], int]:
                return lambda: client.get(url).status_code

            n = args.requests
            rows.append(("/healthz (baseline)", *_measure(get("/healthz"), n)))
            provider = _provider_timer(app, n * 10)
            rows.append(("banner provider alone, cache on", *provider()))
            saved = service.CACHE_SECONDS
            service.CACHE_SECONDS = 0.0
            service.clear_alert_cache()
            rows.append(("banner provider alone, cache off", *provider()))
            service.CACHE_SECONDS = saved
            rows.append(("/reports (a portal page, banner shown)", *_measure(get("/reports"), n)))
            rows.append(("/ (home, latest notices)", *_measure(get("/"), n)))
            rows.append(("/notices", *_measure(get("/notices"), n)))
            rows.append((notice_url, *_measure(get(notice_url), n)))
        db.dispose()

    base = rows[0][1]
    print(f"\n## Notices: server time, in-process, {args.requests} sequential requests each\n")
    print("| route | p50 ms | p95 ms | × /healthz p50 |")
    print("|---|---:|---:|---:|")
    for name, p50, p95 in rows:
        print(f"| {name} | {p50:.2f} | {p95:.2f} | {p50 / base:.1f} |")
    on, off = rows[1][1], rows[2][1]
    print(f"\nThe banner costs {on:.3f} ms per portal page with the cache, {off:.3f} ms without.")
    print("Target (issue 4): home page server time p95 under 20 ms with the demo data.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
