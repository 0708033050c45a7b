"""The foundation benchmark: start-up, memory, and the first pages against a bare ceiling.

    .venv/bin/python bench/run.py                  # SQLite (what `make bench` runs)
    .venv/bin/python bench/run.py --db postgres    # a throwaway PostgreSQL database
    .venv/bin/python bench/run.py --only startup --only console

Prints figures beside their targets; exits non-zero only when something could not be measured
(the app failed to start, a route did not answer as expected), never because of a figure.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from typing import Any

from harness import (
    BenchError,
    CpuMeter,
    Environment,
    Route,
    RouteFigures,
    StartupFigures,
    Target,
    ensure_wrk,
    machine_info,
    measure_routes,
    measure_startup,
    median_of,
    prepare_environment,
    routes_table,
    start_server,
    startup_profile,
    targets_table,
    write_results,
)

READY_TARGET_S = 2.0
IDLE_RSS_TARGET_MB = 150.0
COLD_STARTS = 5
CEILING = Route("healthz", "/healthz")
ROUTES = (
    Route("home", "/"),
    Route("signin", "/signin"),
    Route("areas", "/api/v1/areas"),
    Route("communes", "/geo/communes.geojson"),
    Route("console", "/console", account="vanhanh@demo.ioc.vn"),
)
SECTIONS = ("startup", "load")
NAMES = (*SECTIONS, CEILING.name, *(r.name for r in ROUTES))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--repeat", type=int, default=3, help="runs per route (medians)")
    parser.add_argument(
        "--only",
        action="append",
        choices=NAMES,
        metavar="NAME",
        help=f"run only this part, repeatable: {', '.join(NAMES)} (a route implies the ceiling)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 60 or not 1 <= args.repeat <= 10:
        parser.error("keep runs bounded: --duration 1..60, --repeat 1..10")
    if not 1 <= args.connections <= 1024 or not 1 <= args.threads <= args.connections:
        parser.error("--connections 1..1024, --threads 1..connections")
    return args


def selected_routes(only: list[str] | None) -> list[Route]:
    if not only or "load" in only:
        return list(ROUTES)
    return [r for r in ROUTES if r.name in only]


def wants_load(only: list[str] | None) -> bool:
    return not only or "load" in only or any(n not in SECTIONS for n in only)


def startup_section(environment: Environment, record: dict[str, Any]) -> list[Target]:
    print(f"\nStart-up: {COLD_STARTS} cold starts of `ioc serve` …", flush=True)
    figures: StartupFigures = measure_startup(environment, starts=COLD_STARTS)
    print("Where start-up goes (separate processes, medians of 3) …", flush=True)
    profile = startup_profile(environment)
    record["startup"] = {
        **asdict(figures),
        "median_ready_s": figures.median_ready_s,
        "median_readyz_s": median_of(figures.readyz_s),
        "median_idle_rss_mb": figures.median_idle_rss_mb,
        "median_peak_rss_mb": median_of(figures.peak_rss_mb),
        "profile": profile,
    }
    return [
        Target("time to ready (median)", figures.median_ready_s, READY_TARGET_S, "s"),
        Target("idle RSS after start", figures.median_idle_rss_mb, IDLE_RSS_TARGET_MB, "MB"),
    ]


def load_section(
    environment: Environment, args: argparse.Namespace, record: dict[str, Any]
) -> list[RouteFigures]:
    routes = selected_routes(args.only)
    print(
        f"\nLoad: wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s "
        f"× {args.repeat}, routes interleaved with the ceiling {CEILING.path} …",
        flush=True,
    )
    with start_server(environment) as server:
        time.sleep(0.5)
        idle = server.rss_mb()
        figures = measure_routes(
            server,
            routes,
            ceiling=CEILING,
            duration=args.duration,
            connections=args.connections,
            threads=args.threads,
            repeat=args.repeat,
        )
        after = server.rss_mb()
        peak = server.rss_mb("VmHWM")
    record["load"] = {
        "wrk": {
            "threads": args.threads,
            "connections": args.connections,
            "duration_s": args.duration,
            "repeat": args.repeat,
        },
        "routes": figures,
        "rss_mb": {"idle": idle, "after_load": after, "peak": peak},
    }
    return figures


def stall_note(figures: list[RouteFigures]) -> list[str]:
    stalled = [f for f in figures if f.stalls]
    if not stalled:
        return []
    which = ", ".join(
        f"{f.name} ({f.stalls} of {len(f.runs)} runs, up to {max(f.drain_s):.0f} s)"
        for f in stalled
    )
    return [
        "",
        f"> ⚠ The server stopped answering after the load of {which}; the medians include "
        "those runs. See bench/README.md, 'Stalls'.",
    ]


def report(record: dict[str, Any], targets: list[Target]) -> str:
    info = record["machine"]
    cpu = record["cpu"]
    noisy = cpu["other_share"] > (0.25 if record["db"] == "postgres" else 0.1)
    lines = [
        f"# ioc foundation benchmark · {record['db']} · {info['date']}",
        "",
        f"commit {info['commit'] or '?'} · {info['cpus']} CPUs · Python {info['python']} · "
        f"load average before {info['load_average'][0]:.2f} · "
        + ", ".join(f"{k} {v:.1f} s" for k, v in record["setup_s"].items()),
        "",
        f"Other processes used {cpu['other_share']:.0%} of the machine's CPU during the "
        f"{cpu['wall_s']:.0f} s run ({cpu['other_cpu_s']:.0f} core-seconds; PostgreSQL counts "
        "as other)." + (" Figures are lower and noisier than on a quiet machine." if noisy else ""),
    ]
    if targets:
        lines += ["", "## Targets", "", targets_table(targets)]
    startup = record.get("startup")
    if startup:
        profile = startup["profile"]
        known = (
            profile["interpreter_s"]
            + profile["import_s"]
            + profile["create_app_s"]
            + startup["median_readyz_s"]
        )
        rest = max(startup["median_ready_s"] - known, 0.0)
        lines += [
            "",
            f"## Start-up ({COLD_STARTS} cold starts)",
            "",
            "ready in: " + ", ".join(f"{s:.2f}" for s in startup["ready_s"]) + " s · "
            "idle RSS: " + ", ".join(f"{m:.0f}" for m in startup["idle_rss_mb"]) + " MB · "
            f"peak RSS during start-up (VmHWM): {startup['median_peak_rss_mb']:.0f} MB",
            "",
            f"Where it goes (medians): interpreter {profile['interpreter_s']:.2f} s · "
            f"import ioc.cli, ioc.app, uvicorn {profile['import_s']:.2f} s · create_app() "
            f"{profile['create_app_s']:.2f} s · the answering /readyz "
            f"{startup['median_readyz_s']:.2f} s · the rest (uvicorn start-up, lifespan, "
            f"10 ms polling) ≈ {rest:.2f} s",
            "",
            f"A start traced with PYTHONPROFILEIMPORTTIME=1 was ready in "
            f"{profile['traced_ready_s']:.2f} s, of which imports took "
            f"{profile['traced_imports_s']:.2f} s ({profile['modules_imported']} modules):",
            "",
            "| package | import self-time s |",
            "|---|--:|",
            *(
                f"| {name} | {secs:.3f} |"
                for name, secs in profile["import_self_s_by_package"].items()
            ),
        ]
    load = record.get("load")
    if load:
        wrk = load["wrk"]
        rss = load["rss_mb"]
        lines += [
            "",
            f"## Throughput (wrk {wrk['threads']} threads, {wrk['connections']} connections, "
            f"{wrk['duration_s']:g} s × {wrk['repeat']}; medians; ± is the req/s spread)",
            "",
            routes_table(load["routes"]),
            *stall_note(load["routes"]),
            "",
            f"## Memory of the loaded server: idle {rss['idle']:.0f} MB · after the load "
            f"{rss['after_load']:.0f} MB · peak {rss['peak']:.0f} MB (VmRSS, VmHWM)",
        ]
    return "\n".join(lines)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # `kill` and Ctrl+C both unwind through the finally blocks that stop the server and drop
    # the database.
    signal.signal(signal.SIGTERM, _interrupt)
    record: dict[str, Any] = {"benchmark": "foundation", "db": args.db}
    targets: list[Target] = []
    meter = CpuMeter()
    try:
        if wants_load(args.only):
            ensure_wrk()
        record["machine"] = machine_info()
        print(f"Preparing a fresh {args.db} database (ioc db upgrade, ioc seed --demo) …")
        with prepare_environment(args.db) as environment:
            record["setup_s"] = environment.setup_seconds
            if not args.only or "startup" in args.only:
                targets += startup_section(environment, record)
            if wants_load(args.only):
                load_section(environment, args, record)
    except (BenchError, subprocess.SubprocessError) as error:
        print(f"\nThe benchmark could not run: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nInterrupted; server stopped and data removed.", file=sys.stderr)
        return 130
    record["cpu"] = meter.read()
    failed = [f for f in record.get("load", {}).get("routes", []) if not f.runs]
    record["targets"] = [{**asdict(t), "met": t.met} for t in targets]
    path = write_results(f"foundation-{args.db}", record)
    print()
    print(report(record, targets))
    print(f"\nRecord: {path.relative_to(path.parents[2])}")
    if failed:
        names = ", ".join(f.name for f in failed)
        print(f"\nNot measured (the route failed, see above): {names}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
