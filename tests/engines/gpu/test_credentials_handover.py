"""A droplet's secrets are handed over once, at boot, never kept in its user data: the user
data (readable from the metadata service for the droplet's life) holds a one-time token
that is spent by the first fetch, good only for minutes, and only while the droplet boots."""

import os
import shlex
import stat
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml
from django.conf import settings as django_settings
from django.db import connection
from rest_framework.test import APIClient

from core.clock import now
from engines.gpu.deploy import HANDOVER_SCRIPT_PATH, HANDOVER_TOKEN_PATH
from engines.gpu.droplet_access import (
    CredentialsClosed,
    credentials_hand_over,
    credentials_handover,
    new_api_key,
)
from engines.gpu.lifecycle import BuildLoad, lifecycle_tick
from engines.gpu.services import gpu_release_now
from engines.models.gpu import GpuInstance
from engines.sealed import seal, unseal
from tests.support.factories import DO_BUILD

State = GpuInstance.State
WORK = {DO_BUILD: BuildLoad(items=5)}
SCRIPT = django_settings.BASE_DIR / "deploy" / "gpu" / "fetch_credentials.py"


def provision(fake_do) -> tuple[GpuInstance, str]:
    """One tick: the instance, and the user data its create call sent."""
    lifecycle_tick(loads=WORK)
    [create] = [c for c in fake_do.requests if c.method == "POST" and c.path == "/v2/droplets"]
    return GpuInstance.objects.get(), create.body["user_data"]


def droplet_file(user_data: str, path: str) -> str:
    files = yaml.safe_load(user_data)["write_files"]
    [content] = [entry["content"] for entry in files if entry["path"] == path]
    return content


def handover_token(user_data: str) -> str:
    return droplet_file(user_data, HANDOVER_TOKEN_PATH).strip()


def fetch(instance_id, token: str):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api.post(f"/api/gpu/instances/{instance_id}/credentials/")


def raw_column(instance: GpuInstance, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM engines_gpuinstance WHERE id = %s", [instance.id])
        return cursor.fetchone()[0]


@pytest.fixture
def outside_the_region(settings, fake_do):
    """The app runs in another region than the droplets: TLS, and an https app URL."""
    settings.DO_APP_REGION = "nyc3"
    settings.DROPLET_API_URL = "https://panel.example.test/"


def test_the_user_data_holds_no_secret_that_still_works(do_build, fake_do, outside_the_region):
    instance, user_data = provision(fake_do)
    api_key = unseal(instance.api_key_sealed)
    assert api_key not in user_data
    assert "PRIVATE KEY" not in user_data

    first = fetch(instance.id, handover_token(user_data))
    assert first.status_code == 200
    assert first["Cache-Control"] == "no-store"
    files = first.json()["files"]
    assert files["vllm.env"] == f"VLLM_API_KEY={api_key}\n"
    assert "-----BEGIN PRIVATE KEY-----" in files["tls-key.pem"]

    # What the user data still holds opens nothing any more.
    again = fetch(instance.id, handover_token(user_data))
    assert again.status_code == 410
    assert again.json() == {"detail": "The credentials were fetched already: the token is spent."}


def test_the_tls_key_stays_sealed_until_fetched_then_only_the_droplet_has_it(
    do_build, fake_do, outside_the_region
):
    instance, user_data = provision(fake_do)
    assert unseal(raw_column(instance, "tls_private_key_sealed")).startswith("-----BEGIN")

    answer = fetch(instance.id, handover_token(user_data))

    instance.refresh_from_db()
    assert answer.json()["files"]["tls-key.pem"].startswith("-----BEGIN PRIVATE KEY-----")
    assert raw_column(instance, "tls_private_key_sealed") == ""
    assert instance.credentials_fetched_at is not None
    # The app keeps the API key: it calls the droplet with it.
    assert unseal(instance.api_key_sealed) in answer.json()["files"]["vllm.env"]


def test_a_wrong_token_or_an_unknown_instance_gets_the_same_refusal(do_build, fake_do):
    instance, user_data = provision(fake_do)

    wrong = fetch(instance.id, "not-the-token")
    stranger = fetch("6f1c1d7e-0000-4000-8000-000000000000", handover_token(user_data))
    bare = APIClient().post(f"/api/gpu/instances/{instance.id}/credentials/")

    for answer in (wrong, stranger, bare):
        assert answer.status_code == 403
        assert answer.json() == {"detail": "Not this instance's credentials token."}
    assert fetch(instance.id, handover_token(user_data)).status_code == 200


def test_the_token_expires_minutes_after_provisioning(do_build, fake_do, clock, settings):
    settings.DROPLET_CREDENTIALS_TTL_SECONDS = 600
    instance, user_data = provision(fake_do)

    clock.shift(601)
    answer = fetch(instance.id, handover_token(user_data))

    assert answer.status_code == 410
    assert "window closed" in answer.json()["detail"]
    instance.refresh_from_db()
    assert instance.credentials_fetched_at is None


def test_a_released_instance_hands_out_nothing(do_build, fake_do):
    instance, user_data = provision(fake_do)
    gpu_release_now(engine_id=DO_BUILD, user=None)

    answer = fetch(instance.id, handover_token(user_data))

    assert answer.status_code == 410
    assert answer.json()["detail"].startswith("The instance is releasing")
    assert "VLLM_API_KEY" not in answer.content.decode()


def test_a_ready_droplet_has_nothing_left_to_fetch(do_build, fake_do, clock):
    instance, user_data = provision(fake_do)
    clock.shift(fake_do.boot_seconds + 1)
    lifecycle_tick(loads=WORK)
    lifecycle_tick(loads=WORK)
    assert GpuInstance.objects.get().state == State.READY

    assert fetch(instance.id, handover_token(user_data)).status_code == 410


def test_without_the_apps_url_provisioning_fails_permanently_saying_so(do_build, fake_do, settings):
    settings.DROPLET_API_URL = ""
    lifecycle_tick(loads=WORK)

    instance = GpuInstance.objects.get()
    assert instance.state == State.FAILED
    assert "DROPLET_API_URL: not set" in instance.last_error
    assert not [c for c in fake_do.requests if c.method == "POST"]


def test_outside_the_vpc_the_credentials_never_travel_over_plain_http(
    do_build, fake_do, outside_the_region, settings
):
    settings.DROPLET_API_URL = "http://panel.example.test"
    lifecycle_tick(loads=WORK)

    instance = GpuInstance.objects.get()
    assert instance.state == State.FAILED
    assert "must be https://" in instance.last_error


def test_a_training_droplet_fetches_its_run_token_the_same_way(do_build, fake_do, settings):
    from engines.training.runs import training_run_create
    from engines.training.tokens import report_token
    from tests.support.tiny_lm import SAMPLE_LINES

    settings.DO_TRAINING_IMAGE = "prospector-training-2026-11"
    settings.TRAINING_API_URL = "https://panel.example.test"
    settings.DO_WEIGHTS_VOLUME = "prospector-weights"
    run = training_run_create(
        lines=SAMPLE_LINES,
        parent_engine_id=DO_BUILD,
        source_engine_ids=[DO_BUILD],
        new_engine_id=f"{DO_BUILD}-voice-7",
    )
    lifecycle_tick(loads={})
    instance = GpuInstance.objects.get(training_run=run)
    [create] = [c for c in fake_do.requests if c.method == "POST" and c.path == "/v2/droplets"]
    user_data = create.body["user_data"]
    assert report_token(run.id) not in user_data

    answer = fetch(instance.id, handover_token(user_data))

    assert answer.json() == {"files": {"run-token": f"{report_token(run.id)}\n"}}
    assert fetch(instance.id, handover_token(user_data)).status_code == 410


@pytest.mark.django_db(transaction=True)
def test_the_boot_script_writes_root_only_files_from_the_one_fetch(
    live_server, fake_do, gpu_box, settings, tmp_path
):
    """The unit's own command line, run against the app with the droplet's paths moved
    under tmp_path: files 0600 from the first byte, the token removed, a rerun refused."""
    from engines.gpu.services import gpu_policy_update
    from engines.services import engine_build_register

    gpu_policy_update(user=None, hourly_prices={"gpu-h100x1-80gb": 3.39})
    engine_build_register(engine_id=DO_BUILD, served_model="fixed", model_path="/mnt/weights/m")
    settings.DROPLET_API_URL = live_server.url
    instance, user_data = provision(fake_do)
    token_file = tmp_path / "handover-token"
    token_file.write_text(droplet_file(user_data, HANDOVER_TOKEN_PATH))
    unit = droplet_file(user_data, "/etc/systemd/system/droplet-credentials.service")
    [exec_start] = [line for line in unit.splitlines() if line.startswith("ExecStart=")]
    argv = shlex.split(exec_start.removeprefix("ExecStart="))
    assert argv[:3] == ["/usr/bin/python3", HANDOVER_SCRIPT_PATH, "--url"]
    assert droplet_file(user_data, HANDOVER_SCRIPT_PATH).strip() == SCRIPT.read_text().strip()
    assert argv[3] == f"{live_server.url}/api/gpu/instances/{instance.id}/credentials/"
    assert argv[4:] == ["--token-file", HANDOVER_TOKEN_PATH, "vllm.env=/etc/vllm/vllm.env"]

    command = [sys.executable, str(SCRIPT), "--url", argv[3], "--token-file", str(token_file)]
    command.append(f"vllm.env={tmp_path / 'etc' / 'vllm.env'}")
    first = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)

    assert first.returncode == 0, first.stderr
    env_file = tmp_path / "etc" / "vllm.env"
    assert env_file.read_text() == f"VLLM_API_KEY={unseal(instance.api_key_sealed)}\n"
    assert stat.S_IMODE(os.stat(env_file).st_mode) == 0o600
    assert not token_file.exists()

    token_file.write_text(droplet_file(user_data, HANDOVER_TOKEN_PATH))
    again = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert again.returncode == 1
    assert "credentials refused: 410" in again.stderr


def test_two_racing_fetches_get_one_answer(transactional_db, settings):
    """The handover is a conditional update: however the two interleave, one wins."""
    settings.DROPLET_API_URL = "https://panel.example.test"
    instance = GpuInstance.objects.create(
        engine_id=DO_BUILD,
        size_slug="gpu-h100x1-80gb",
        hourly_price=3.39,
        state=State.BOOTING,
        state_changed_at=now(),
        api_key_sealed=seal(new_api_key()),
    )
    token = credentials_handover(instance).token
    start = threading.Barrier(2)

    def fetch_once():
        start.wait()
        try:
            return credentials_hand_over(instance.id, token)
        except CredentialsClosed as closed:
            return closed
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(lambda _: fetch_once(), range(2)))

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["CredentialsClosed", "dict"]
