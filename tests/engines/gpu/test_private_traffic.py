"""Model traffic to a GPU droplet: private inside the app's VPC, else TLS pinned to the
droplet's own certificate; always the droplet's own key, sealed at rest, dead when it ends,
and never shown."""

import logging
import re
import ssl
from pathlib import Path

import pytest
import yaml
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from bench.fixed_latency_server import FixedLatencyServer
from engines.gpu.deploy import HANDOVER_TOKEN_PATH
from engines.gpu.droplet_access import issue_certificate
from engines.gpu.lifecycle import BuildLoad, lifecycle_tick
from engines.gpu.services import gpu_release_now
from engines.inference import Failure, InferenceClient, InferenceError
from engines.models.gpu import GpuInstance
from engines.registry import client_for, endpoint_for
from engines.sealed import pinned_context, unseal
from tests.support.factories import DO_BUILD, PASSWORD

State = GpuInstance.State
WORK = {DO_BUILD: BuildLoad(items=5)}


def creates(fake_do) -> list[dict]:
    """The user data of every droplet create call, parsed."""
    return [
        yaml.safe_load(call.body["user_data"])
        for call in fake_do.requests
        if call.method == "POST" and call.path == "/v2/droplets"
    ]


def droplet_file(user_data: dict, path: str) -> str:
    [entry] = [entry for entry in user_data["write_files"] if entry["path"] == path]
    return entry["content"]


def handed_over(instance: GpuInstance, user_data: dict) -> dict[str, str]:
    """What the droplet's boot unit fetches with the token in its user data."""
    api = APIClient()
    token = droplet_file(user_data, HANDOVER_TOKEN_PATH).strip()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    answer = api.post(f"/api/gpu/instances/{instance.id}/credentials/")
    assert answer.status_code == 200, answer.content
    return answer.json()["files"]


def droplet_key(files: dict[str, str]) -> str:
    return files["vllm.env"].removeprefix("VLLM_API_KEY=").strip()


def boot(clock, fake_do, loads=WORK) -> tuple[GpuInstance, dict[str, str]]:
    """Provision, let the droplet fetch its credentials, wait until it serves: the
    instance, and the files it was handed."""
    lifecycle_tick(loads=loads)
    instance = GpuInstance.objects.get(state__in=GpuInstance.LIVE)
    files = handed_over(instance, creates(fake_do)[-1])
    clock.shift(fake_do.boot_seconds + 1)
    lifecycle_tick(loads=loads)
    lifecycle_tick(loads=loads)
    return GpuInstance.objects.get(state__in=GpuInstance.LIVE), files


def raw_column(instance: GpuInstance, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM engines_gpuinstance WHERE id = %s", [instance.id])
        return cursor.fetchone()[0]


class TlsBox(FixedLatencyServer):
    """The droplet's vLLM over TLS, with a certificate and key, recording the keys sent."""

    def __init__(self, certificate: str, private_key: str, directory: Path):
        super().__init__(0.0)
        cert_file, key_file = directory / "cert.pem", directory / "key.pem"
        cert_file.write_text(certificate)
        key_file.write_text(private_key)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self.socket = context.wrap_socket(self.socket, server_side=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def outside_the_region(settings, fake_do):
    """The app runs in another region than the droplets: public address, TLS, and the
    droplet fetches its credentials from the app's public https URL."""
    settings.DO_APP_REGION = "nyc3"
    settings.DROPLET_API_URL = "https://panel.example.test"
    fake_do.private_ip_address = "10.118.0.9"  # not reachable from here, nor used


def test_droplets_join_the_apps_vpc_and_are_reached_on_their_private_address(
    do_build, fake_do, clock, gpu_box, settings
):
    fake_do.ip_address = "192.0.2.10"  # the public address: never used, and unreachable

    instance, _ = boot(clock, fake_do)

    [create] = [call for call in fake_do.requests if call.method == "POST"]
    assert create.body["vpc_uuid"] == settings.DO_VPC_UUID
    assert instance.state == State.READY
    assert instance.endpoint_url == f"http://127.0.0.1:{gpu_box.server_address[1]}"
    assert instance.tls_certificate == ""
    assert "--ssl-keyfile" not in create.body["user_data"]


def test_each_droplet_has_its_own_key_and_the_client_sends_it(do_build, fake_do, clock):
    first, first_files = boot(clock, fake_do)
    gpu_release_now(engine_id=DO_BUILD, user=None)
    lifecycle_tick(loads={})
    second, second_files = boot(clock, fake_do)

    keys = [droplet_key(first_files), droplet_key(second_files)]
    assert keys[0] != keys[1]
    assert first.id != second.id
    endpoint = endpoint_for(DO_BUILD)
    assert endpoint.api_key == keys[1]
    assert client_for(endpoint)._http.headers["Authorization"] == f"Bearer {keys[1]}"


def test_the_key_is_sealed_in_the_database_and_wiped_once_the_droplet_is_destroyed(
    do_build, fake_do, clock
):
    instance, files = boot(clock, fake_do)
    key = droplet_key(files)

    sealed = raw_column(instance, "api_key_sealed")
    assert key not in sealed
    assert unseal(sealed) == key

    gpu_release_now(engine_id=DO_BUILD, user=None)
    lifecycle_tick(loads={})

    instance.refresh_from_db()
    assert instance.state == State.OFF
    assert raw_column(instance, "api_key_sealed") == ""
    assert endpoint_for(DO_BUILD) is None


def test_outside_the_region_the_droplet_serves_tls_with_a_certificate_made_for_it(
    do_build, fake_do, clock, outside_the_region
):
    lifecycle_tick(loads=WORK)

    instance = GpuInstance.objects.get()
    [user_data] = creates(fake_do)
    certificate = droplet_file(user_data, "/etc/vllm/tls/cert.pem")
    assert certificate.strip() == instance.tls_certificate.strip()
    private_key = handed_over(instance, user_data)["tls-key.pem"]
    assert "PRIVATE KEY" in private_key
    # Fetched: the private key is the droplet's alone.
    assert raw_column(instance, "tls_private_key_sealed") == ""
    unit = droplet_file(user_data, "/etc/systemd/system/vllm.service")
    [exec_start] = [line for line in unit.splitlines() if line.startswith("ExecStart=")]
    assert "--ssl-keyfile %d/tls-key" in exec_start


def test_outside_the_region_the_client_reaches_the_pinned_droplet_over_tls(
    do_build, fake_do, clock, outside_the_region, settings, tmp_path
):
    lifecycle_tick(loads=WORK)
    [user_data] = creates(fake_do)
    box = TlsBox(
        droplet_file(user_data, "/etc/vllm/tls/cert.pem"),
        handed_over(GpuInstance.objects.get(), user_data)["tls-key.pem"],
        tmp_path,
    ).start()
    settings.GPU_SERVER_PORT = box.server_address[1]
    try:
        clock.shift(fake_do.boot_seconds + 1)
        lifecycle_tick(loads=WORK)
        lifecycle_tick(loads=WORK)

        instance = GpuInstance.objects.get()
        assert instance.state == State.READY
        assert instance.endpoint_url == box.url
        assert client_for(endpoint_for(DO_BUILD)).models() == ["fixed"]
    finally:
        box.stop()


def test_the_client_refuses_a_server_presenting_another_certificate(db, tmp_path):
    pinned = issue_certificate("prospector-gpu-aaaaaaaa")
    impostor = issue_certificate("prospector-gpu-aaaaaaaa")
    box = TlsBox(impostor.certificate, impostor.private_key, tmp_path).start()
    try:
        with (
            InferenceClient(box.url, certificate=pinned.certificate) as client,
            pytest.raises(InferenceError) as refused,
        ):
            client.models()
        with InferenceClient(box.url, certificate=impostor.certificate) as client:
            assert client.models() == ["fixed"]
    finally:
        box.stop()
    assert refused.value.failure == Failure.UNREACHABLE
    assert "CERTIFICATE_VERIFY_FAILED" in refused.value.detail


def test_the_pinned_certificate_is_the_only_thing_trusted_and_it_is_no_authority():
    context = pinned_context(issue_certificate("prospector-gpu-aaaaaaaa").certificate)
    assert context.cert_store_stats() == {"x509": 1, "crl": 0, "x509_ca": 0}
    assert context.verify_mode == ssl.CERT_REQUIRED


def test_the_key_never_shows_on_the_gpu_page_the_api_or_in_the_logs(
    do_build, fake_do, clock, admin_user, api_for, caplog
):
    caplog.set_level(logging.DEBUG)
    instance, _ = boot(clock, fake_do)
    key = unseal(instance.api_key_sealed)
    client_for(endpoint_for(DO_BUILD)).models()

    browser = Client()
    browser.login(username=admin_user.username, password=PASSWORD)
    page = browser.get("/gpu/").content.decode()
    answer = api_for(admin_user).get("/api/gpu/").content.decode()

    assert instance.endpoint_url in page
    for shown in (page, answer, caplog.text, repr(endpoint_for(DO_BUILD))):
        assert key not in shown
        assert not re.search(r"api_key_sealed|gAAAAA", shown)
