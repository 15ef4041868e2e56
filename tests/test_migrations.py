"""The schema's own checks: every model change has its migration, every migration applies
on both databases from zero, and production settings pass Django's deploy checks."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.support.demo import newcomer_environment

ROOT = Path(__file__).resolve().parents[1]


def manage(*args: str, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.django_db
def test_every_model_change_has_its_migration():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit:
        pytest.fail(f"Models changed without a migration:\n{out.getvalue()}")


def test_a_fresh_sqlite_database_migrates_from_zero_and_loads_the_demo(tmp_path):
    # PostgreSQL is migrated from zero for every test run (the test database); this is the
    # demo's database, which `make run` creates the same way.
    env = newcomer_environment(VAR_DIR=str(tmp_path), DEBUG="1", SECRET_KEY="a-demo-secret")
    # The demo's filesystem broker, as scripts/run_demo.sh lays it out.
    for folder in ("broker", "broker-control"):
        (tmp_path / folder).mkdir()
    migrated = manage("migrate", "--no-input", env=env)
    assert migrated.returncode == 0, migrated.stderr
    loaded = manage("load_demo", env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert "Demo loaded" in loaded.stdout
    assert (tmp_path / "prospector.sqlite3").exists()
    unapplied = manage("migrate", "--check", env=env)
    assert unapplied.returncode == 0, unapplied.stdout + unapplied.stderr


def test_production_settings_pass_the_deploy_checks(tmp_path):
    env = newcomer_environment(
        SECRET_KEY="kS8v2-production-like-secret-3yq7Lw9x_Vb1nR4tZ6uP0aE5cH8jM2gD",
        ALLOWED_HOSTS="prospector.example.com",
        DATABASE_URL=os.environ["DATABASE_URL"],
        VAR_DIR=str(tmp_path),
        # Behind nginx (core/checks.py warns while sign-in limits read REMOTE_ADDR).
        RATELIMIT_IP_META_KEY="HTTP_X_REAL_IP",
    )
    checked = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "no issues" in checked.stdout
