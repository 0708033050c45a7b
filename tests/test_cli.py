"""The `ioc` command, run as a real process against a real database file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from ioc.db import make_engine

IOC = [sys.executable, "-m", "ioc.cli"]


def _run(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "IOC_DATA_DIR": str(data_dir),
        "IOC_DATABASE_URL": "",
        "IOC_LOG_LEVEL": "WARNING",
    }
    return subprocess.run(IOC + args, capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli")
    assert _run(["db", "upgrade"], path).returncode == 0
    seeded = _run(["seed"], path)
    assert seeded.returncode == 0, seeded.stderr
    return path


def test_users_create_prints_a_password_that_signs_in(data_dir: Path) -> None:
    from ioc.kit import auth

    result = _run(
        [
            "users",
            "create",
            "canbo.moi@example.vn",
            "--role",
            "officer",
            "--agency",
            "sxd",
            "--name",
            "Cán bộ Mới",
        ],
        data_dir,
    )
    assert result.returncode == 0, result.stderr
    password = result.stdout.strip().splitlines()[-1].removeprefix("Password: ")
    assert len(password) == 16
    engine = make_engine(f"sqlite:///{data_dir / 'ioc.sqlite3'}")
    with engine.connect() as conn:
        row = conn.execute(
            select(auth.User.password_hash, auth.User.full_name).where(
                auth.User.email == "canbo.moi@example.vn"
            )
        ).one()
        grant = conn.execute(
            select(auth.RoleAssignment.role, auth.RoleAssignment.scope_ref)
            .join(auth.User)
            .where(auth.User.email == "canbo.moi@example.vn")
        ).one()
    engine.dispose()
    assert auth.verify_password(row.password_hash, password)
    assert row.full_name == "Cán bộ Mới"
    assert tuple(grant) == ("officer", "SXD")


def test_users_create_for_an_unknown_agency_fails_clearly(data_dir: Path) -> None:
    result = _run(
        ["users", "create", "x@example.vn", "--role", "officer", "--agency", "NOPE"], data_dir
    )
    assert result.returncode != 0
    assert "No such agency" in result.stderr


def test_officer_needs_an_agency(data_dir: Path) -> None:
    result = _run(["users", "create", "y@example.vn", "--role", "officer"], data_dir)
    assert result.returncode != 0
    assert "agency" in result.stderr


def test_api_keys_create_prints_a_key(data_dir: Path) -> None:
    result = _run(["api-keys", "create", "Tổng đài 1022"], data_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("ioc_")


def test_seed_is_idempotent(data_dir: Path) -> None:
    assert _run(["seed", "--demo"], data_dir).returncode == 0
    assert _run(["seed", "--demo"], data_dir).returncode == 0
    engine = make_engine(f"sqlite:///{data_dir / 'ioc.sqlite3'}")
    from ioc.areas.models import Agency, Area

    with engine.connect() as conn:
        areas = conn.execute(select(Area.code)).all()
        agencies = conn.execute(select(Agency.code)).all()
    engine.dispose()
    assert len(areas) == 93  # the province and its 92 communes and wards
    assert len(agencies) == 18 + 92
