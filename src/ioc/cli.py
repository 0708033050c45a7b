"""The `ioc` command."""

from __future__ import annotations

import sys
import threading
import time

import click

from ioc.config import ConfigError, Settings, describe_settings


def _settings() -> Settings:
    try:
        return Settings()
    except ConfigError as error:
        raise click.ClickException(str(error)) from error
    except Exception as error:  # pydantic reports which variable is wrong
        raise click.ClickException(f"Invalid configuration: {error}") from error


def _database(settings: Settings):  # type: ignore[no-untyped-def]
    from ioc.db import Database

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Database(settings.resolved_database_url)


@click.group()
def main() -> None:
    """Intelligent Operations Centre of Thái Nguyên province."""
    from ioc.modules import define_permissions

    define_permissions()


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations."""
    from ioc import migrate

    settings = _settings()
    database = _database(settings)
    migrate.upgrade(database.engine)
    click.echo(f"Database at revision {migrate.current_revision(database.engine)}")


@main.command()
@click.option("--demo/--no-demo", default=False, help="Also create the demo accounts.")
def seed(demo: bool) -> None:
    """Load the province's units and agencies (idempotent)."""
    from ioc.seed import console_progress, seed_all

    settings = _settings()
    seed_all(_database(settings), demo=demo, progress=console_progress)
    click.echo("Seeded.")


def _serve(settings: Settings, *, workers: int = 1) -> None:
    import uvicorn

    from ioc.app import create_app
    from ioc.logs import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    app = create_app(settings)
    # The app logs each request itself (ioc.access, with its request id); uvicorn's own access
    # line would be a second one, and its arguments were formatted for every request even with
    # the logger off. No Server header: nobody needs to be told what serves the IOC.
    options = {
        "log_config": None,
        "timeout_graceful_shutdown": 3,
        "access_log": False,
        "server_header": False,
    }
    if workers > 1:
        from ioc.web.server import serve_forked

        app.state.db.dispose()  # no database connection may cross the fork
        serve_forked(app, host=settings.host, port=settings.port, workers=workers, **options)
        return
    uvicorn.run(app, host=settings.host, port=settings.port, **options)  # type: ignore[arg-type]


@main.command()
@click.option(
    "--workers",
    default=1,
    show_default=True,
    help="Processes to run, forked once the app is built (one per core).",
)
def serve(workers: int) -> None:
    """Serve the application (runs periodic jobs too unless IOC_SCHEDULER=false)."""
    _serve(_settings(), workers=workers)


@main.command("reports-rollup")
@click.option("--rebuild", is_flag=True, help="Rebuild every day, not only new or changed ones.")
def reports_rollup(rebuild: bool) -> None:
    """Build the evaluation roll-ups (agencies, officers) of every past day and month not
    built or changed."""
    from sqlalchemy import delete

    from ioc.reports import officer_rollup, rollup
    from ioc.reports.models import ReportOfficerRollupDay, ReportRollupDay

    database = _database(_settings())
    with database.session() as session:
        if rebuild:
            session.execute(delete(ReportRollupDay))
            session.execute(delete(ReportOfficerRollupDay))
        built = rollup.refresh(session, limit=None)
        officers = officer_rollup.refresh(session, limit=None)
    click.echo(f"Built {built} days and months (agencies), {officers} (officers).")


@main.command()
def worker() -> None:
    """Run periodic jobs only (for production, beside `ioc serve` with IOC_SCHEDULER=false)."""
    from ioc.app import create_app
    from ioc.kit import jobs
    from ioc.logs import configure_logging

    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    app = create_app(settings)
    stop = threading.Event()
    click.echo("Worker running; Ctrl+C stops it.")
    try:
        jobs.run_worker(app.state.db, app.state.jobs, stop)
    except KeyboardInterrupt:
        stop.set()


@main.command()
@click.option("--reset", is_flag=True, help="Delete the demo database and start over.")
@click.option("--no-serve", is_flag=True, help="Set up and seed only.")
def demo(reset: bool, no_serve: bool) -> None:
    """Migrate, seed the demo data of Thái Nguyên, print the accounts and serve."""
    from ioc import migrate
    from ioc.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, console_progress, seed_all

    settings = _settings()
    database = _database(settings)
    started = time.perf_counter()
    if reset:
        click.echo("Resetting the database…")
        migrate.reset_database(database.engine)
    click.echo("Migrating…")
    migrate.upgrade(database.engine)
    click.echo("Seeding demo data of Thái Nguyên…")
    seed_all(database, demo=True, progress=console_progress)
    database.dispose()
    click.echo(f"Ready in {time.perf_counter() - started:.1f} s.\n")
    click.echo(f"  Open http://{settings.host}:{settings.port}/  (Ctrl+C stops)\n")
    click.echo(f"  Demo accounts (password for all: {DEMO_PASSWORD})")
    for account in DEMO_ACCOUNTS:
        scope = f" · {account.agency}" if account.agency else ""
        click.echo(f"    {account.role + scope:<22} {account.email:<28} → {account.lands_on}")
    click.echo("")
    if not no_serve:
        _serve(settings.model_copy(update={"log_format": "console"}))


@main.group()
def users() -> None:
    """Accounts."""


@users.command("create")
@click.argument("email")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["citizen", "officer", "agency_head", "operator", "leader", "administrator"]),
)
@click.option("--agency", default=None, help="Agency code, for officers and agency heads.")
@click.option("--name", "full_name", default="", help="Full name.")
def users_create(email: str, role: str, agency: str | None, full_name: str) -> None:
    """Create an account and print its generated password."""
    from ioc.admin import service
    from ioc.errors import IocError
    from ioc.kit.i18n import translate
    from ioc.kit.permissions import system_actor

    database = _database(_settings())
    try:
        with database.session() as session:
            created = service.create_user(
                session,
                system_actor("command line"),
                email=email,
                role=role,
                agency_code=agency,
                full_name=full_name,
            )
            password = created.password
    except IocError as error:
        details = "; ".join(
            f"{e.field}: {translate('en', e.message, **e.params)}" for e in error.errors
        )
        raise click.ClickException(
            translate("en", error.message, **error.params) + (f" ({details})" if details else "")
        ) from error
    click.echo(f"Created {email} ({role}{' · ' + agency.upper() if agency else ''}).")
    click.echo(f"Password: {password}")


@main.group("api-keys")
def api_keys() -> None:
    """Keys for other systems."""


@api_keys.command("create")
@click.argument("name")
def api_keys_create(name: str) -> None:
    """Create an API key (Open311 api_key or Bearer token) and print it once."""
    from ioc.admin import service
    from ioc.kit.permissions import system_actor

    database = _database(_settings())
    with database.session() as session:
        _token, raw = service.create_api_key(
            session, system_actor("command line"), name=name, scopes=["open311.submit", "api.read"]
        )
    click.echo(raw)


@main.command("config")
def config_table() -> None:
    """Print every IOC_* setting with its default, as a Markdown table."""
    click.echo("| Variable | Default | Meaning |\n|---|---|---|")
    for name, default, description in describe_settings():
        click.echo(f"| `{name}` | `{default}` | {description} |")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
