"""Django for a bench, ready on import: every bench that touches the database starts with
``import _setup`` (a bench runs as ``python bench/NAME.py``, so this folder is on the path).

It puts the project on the path, sets the benches' defaults (a SQLite file under var/
unless DATABASE_URL names another database; short think steps and a fixed seed, in the
environment so a worker the bench starts drafts alike), creates a PostgreSQL database
that does not exist yet (a fresh machine has only the test database), sets Django up
and migrates.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "SECRET_KEY": "bench-only",
    "DATABASE_URL": f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}",
    "GPU_THINK_MAX_TOKENS": "24",
    "GPU_SEED": "7",
    # Webhooks (and the bridge) post only when signed with a strong secret.
    "BRIDGE_SIGNING_SECRET": "bench-only-signing-secret-of-more-than-32-bytes",
}


def database_create(url: str) -> None:
    """Creates the PostgreSQL database ``url`` names if it does not exist, connecting to
    the server's ``postgres`` database with the same credentials."""
    import environ
    import psycopg
    from psycopg import sql

    config = environ.Env.db_url_config(url)
    if "postgresql" not in config["ENGINE"]:
        return
    server = {
        "host": config["HOST"] or None,
        "port": config["PORT"] or None,
        "user": config["USER"] or None,
        "password": config["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))


def _ready() -> None:
    for name, value in BENCH_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    (ROOT / "var").mkdir(exist_ok=True)
    database_create(os.environ["DATABASE_URL"])

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


_ready()
