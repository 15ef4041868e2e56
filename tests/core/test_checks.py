"""`check --deploy` covers the project's own settings (issue 31, item 3)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks

ROOT = Path(__file__).resolve().parents[2]
ENV_TEMPLATE = ROOT / "deploy" / "prospector.env.example"


def _ours() -> set[str]:
    return {
        message.id
        for message in run_checks(include_deployment_checks=True)
        if message.id.startswith("prospector.")
    }


@pytest.fixture
def production(settings):
    """Production settings as the env template sets them, with real secrets."""
    settings.DEBUG = False
    settings.BRIDGE_WEBHOOK_URL = "https://bridge.example.internal/send"
    settings.BRIDGE_SIGNING_SECRET = secrets.token_urlsafe(32)
    settings.METRICS_TOKEN = secrets.token_urlsafe(32)
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    return settings


def test_production_settings_pass(production):
    assert _ours() == set()


@pytest.mark.parametrize(
    ("changes", "fires"),
    [
        ({"BRIDGE_SIGNING_SECRET": ""}, "prospector.E001"),
        ({"BRIDGE_SIGNING_SECRET": "x" * 31}, "prospector.E001"),
        ({"METRICS_TOKEN": "REPLACE_ME"}, "prospector.E002"),
        ({"RATELIMIT_IP_META_KEY": "REMOTE_ADDR"}, "prospector.W003"),
        ({"SESSION_COOKIE_SECURE": False}, "prospector.W004"),
        ({"CSRF_COOKIE_SECURE": False}, "prospector.W004"),
    ],
)
def test_each_check_fires_on_its_setting(production, changes, fires):
    for name, value in changes.items():
        setattr(production, name, value)

    assert _ours() == {fires}


def test_no_bridge_and_no_metrics_token_need_no_secret(production):
    production.BRIDGE_WEBHOOK_URL = ""
    production.BRIDGE_SIGNING_SECRET = ""
    production.METRICS_TOKEN = ""

    assert _ours() == set()


def test_the_env_template_passes_check_deploy_once_its_placeholders_are_filled():
    env = {"PATH": os.environ["PATH"], "VAR_DIR": os.environ.get("VAR_DIR", str(ROOT / "var"))}
    for line in ENV_TEMPLATE.read_text().splitlines():
        if line and not line.startswith("#"):
            name, value = line.split("=", 1)
            env[name] = value.replace("REPLACE_ME", secrets.token_urlsafe(50))

    checked = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert checked.returncode == 0, checked.stderr
