"""Training on the on-demand GPU: the lifecycle starts a droplet from the training image
for a queued run, the droplet reports over the API with its run's token, and the machine
is released when the run ends, fails, vanishes or runs out of time."""

import pytest
import yaml
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from engines.gpu.lifecycle import BuildLoad, lifecycle_tick
from engines.models import EngineBuild
from engines.models.gpu import GpuInstance
from engines.models.training import TrainingRun
from engines.training.runs import training_run_create
from engines.training.tokens import report_token
from engines.training.trainer_job import run_job
from tests.support.factories import DO_BUILD
from tests.support.tiny_lm import SAMPLE_LINES

pytestmark = pytest.mark.django_db
State = GpuInstance.State
NEW_BUILD = f"{DO_BUILD}-voice-7"


@pytest.fixture
def gpu_training(settings, do_build):
    settings.DO_TRAINING_IMAGE = "prospector-training-2026-11"
    settings.TRAINING_API_URL = "https://panel.example.test"
    # Hyphenated, as DigitalOcean volumes usually are: its own auto-mount would be
    # /mnt/prospector_weights, which no serving droplet reads.
    settings.DO_WEIGHTS_VOLUME = "prospector-weights"
    return training_run_create(
        lines=SAMPLE_LINES,
        parent_engine_id=DO_BUILD,
        source_engine_ids=[DO_BUILD],
        new_engine_id=NEW_BUILD,
        hyper_parameters={"r": 32, "alpha": 32},
    )


def droplet_api(run, token=None) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token or report_token(run.id)}")
    return api


def start(fake_do, clock) -> GpuInstance:
    lifecycle_tick(loads={})
    clock.shift(fake_do.boot_seconds + 1)
    lifecycle_tick(loads={})
    return GpuInstance.objects.get(training_run__isnull=False)


def test_a_gpu_run_starts_a_training_droplet_that_reports_and_is_released(
    gpu_training, fake_do, clock
):
    run = gpu_training
    assert run.placement == TrainingRun.Placement.GPU
    # Queued, its token opens nothing yet.
    assert droplet_api(run).get(f"/api/training-runs/{run.id}/job/").status_code == 403
    lifecycle_tick(loads={})
    instance = GpuInstance.objects.get()
    assert (instance.training_run, instance.state) == (run, State.PROVISIONING)
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.RUNNING  # from the moment its machine is asked for
    [create] = [call for call in fake_do.requests if call.method == "POST"]
    assert create.body["image"] == "prospector-training-2026-11"
    cloud = yaml.safe_load(create.body["user_data"])
    files = {entry["path"]: entry["content"] for entry in cloud["write_files"]}
    # The run's token is not in the user data: the droplet fetches it once, at boot.
    assert report_token(run.id) not in create.body["user_data"]
    fetch = files["/etc/systemd/system/droplet-credentials.service"]
    assert "Before=prospector-training.service" in fetch
    assert fetch.rstrip().endswith("run-token=/etc/prospector/run-token")
    assert (
        "Requires=droplet-credentials.service"
        in files["/etc/systemd/system/prospector-training.service.d/credentials.conf"]
    )
    unit = files["/etc/systemd/system/prospector-training.service"]
    assert "--token-file /etc/prospector/run-token" in unit
    assert f"--run {run.id}" in unit
    assert f"--out /mnt/models/adapters/{NEW_BUILD}" in unit
    assert "--api https://panel.example.test" in unit
    mount = files["/etc/systemd/system/weights-volume.service"]
    device = "/dev/disk/by-id/scsi-0DO_Volume_prospector-weights"
    assert f"ExecStart=/usr/bin/mount -o rw,noatime {device} /mnt/models" in mount
    assert "Before=prospector-training.service" in mount
    assert (
        "Requires=weights-volume.service"
        in files["/etc/systemd/system/prospector-training.service.d/weights-volume.conf"]
    )

    clock.shift(fake_do.boot_seconds + 1)
    lifecycle_tick(loads={})
    instance.refresh_from_db()
    assert instance.state == State.READY
    assert not GpuInstance.objects.filter(engine_id=DO_BUILD).exists()  # nothing served

    assert (
        droplet_api(run, token="guess").get(f"/api/training-runs/{run.id}/job/").status_code == 403
    )
    job = droplet_api(run).get(f"/api/training-runs/{run.id}/job/").json()
    assert job["lines"] == SAMPLE_LINES
    assert job["hyper_parameters"]["r"] == 32
    report = f"/api/training-runs/{run.id}/report/"
    assert (
        droplet_api(run)
        .post(report, {"status": "running", "log": ['{"step": 1, "loss": 2.5}']}, format="json")
        .json()["status"]
        == "running"
    )
    bad = droplet_api(run).post(report, {"status": "succeeded"}, format="json")
    assert bad.status_code == 400
    assert "adapter_dir" in bad.json()
    done = (
        droplet_api(run)
        .post(
            report,
            {
                "status": "succeeded",
                "adapter_dir": f"/mnt/models/adapters/{NEW_BUILD}",
                "metrics": {"train_loss": 1.25, "steps": 40},
                "device": "cuda",
            },
            format="json",
        )
        .json()
    )
    assert (done["status"], done["build"], done["device"]) == ("succeeded", NEW_BUILD, "cuda")
    build = EngineBuild.objects.get(engine_id=NEW_BUILD)
    assert build.lora_modules[build.adapter] == f"/mnt/models/adapters/{NEW_BUILD}"
    assert build.lora_ranks == {build.adapter: 32}
    # Ended, the token is closed: a late report changes nothing, the data is not readable.
    assert droplet_api(run).post(report, {"status": "failed"}, format="json").status_code == 403
    assert droplet_api(run).get(f"/api/training-runs/{run.id}/job/").status_code == 403
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.SUCCEEDED

    lifecycle_tick(loads={})
    instance.refresh_from_db()
    assert instance.state == State.OFF
    assert fake_do.droplets == {}

    # The new build is served from the path the droplet wrote, at the adapter's rank.
    lifecycle_tick(loads={NEW_BUILD: BuildLoad(items=1)})
    serve = [call for call in fake_do.requests if call.method == "POST"][-1]
    files = {
        entry["path"]: entry["content"]
        for entry in yaml.safe_load(serve.body["user_data"])["write_files"]
    }
    vllm = files["/etc/systemd/system/vllm.service"]
    assert f"{build.adapter}=/mnt/models/adapters/{NEW_BUILD}" in vllm
    assert "--max-lora-rank 32 --max-loras 1" in vllm
    assert (
        "mount -o ro,noatime /dev/disk/by-id/scsi-0DO_Volume_prospector-weights /mnt/models"
        in (files["/etc/systemd/system/weights-volume.service"])
    )


def test_a_worker_cannot_train_an_adapter_for_a_do_gpu_build(settings, do_build):
    settings.DO_TRAINING_IMAGE = ""  # no training droplet: the run would be the worker's
    with pytest.raises(ValidationError) as refused:
        training_run_create(
            lines=SAMPLE_LINES, parent_engine_id=DO_BUILD, source_engine_ids=[DO_BUILD]
        )
    assert "only a training droplet writes" in refused.value.message_dict["parent_engine_id"][0]


def test_a_failed_report_fails_the_run_and_releases_the_droplet(gpu_training, fake_do, clock):
    instance = start(fake_do, clock)
    droplet_api(gpu_training).post(
        f"/api/training-runs/{gpu_training.id}/report/",
        {"status": "failed", "detail": "CUDA out of memory"},
        format="json",
    )
    gpu_training.refresh_from_db()
    assert (gpu_training.status, gpu_training.status_detail) == ("failed", "CUDA out of memory")
    lifecycle_tick(loads={})
    instance.refresh_from_db()
    assert instance.state == State.OFF
    assert fake_do.droplets == {}


def test_a_run_past_its_time_limit_is_failed_and_released(gpu_training, fake_do, clock, settings):
    instance = start(fake_do, clock)
    clock.shift(settings.TRAINING_TIME_LIMIT + 1)
    lifecycle_tick(loads={})
    gpu_training.refresh_from_db()
    instance.refresh_from_db()
    assert gpu_training.status == "failed"
    assert "TRAINING_TIME_LIMIT" in gpu_training.status_detail
    assert instance.state == State.OFF


def test_a_vanished_training_droplet_fails_its_run(gpu_training, fake_do, clock):
    instance = start(fake_do, clock)
    fake_do.delete_behind_back(instance.droplet_id)
    lifecycle_tick(loads={})
    lifecycle_tick(loads={})
    gpu_training.refresh_from_db()
    assert gpu_training.status == "failed"
    assert "before the run did" in gpu_training.status_detail
    assert GpuInstance.objects.filter(training_run=gpu_training).count() == 1  # no second


@pytest.mark.django_db(transaction=True)
def test_the_droplet_program_trains_and_reports_to_the_app(
    live_server, settings, tiny_base, tmp_path
):
    from engines.services import engine_build_register

    settings.DO_TOKEN = "unused-here"
    settings.DO_TRAINING_IMAGE = "prospector-training-2026-11"
    settings.TRAINING_API_URL = live_server.url
    settings.DO_WEIGHTS_VOLUME = "weights"
    engine_build_register(engine_id="endpoint-tiny_1", model_path=str(tiny_base))
    run = training_run_create(
        lines=SAMPLE_LINES,
        parent_engine_id="endpoint-tiny_1",
        source_engine_ids=["endpoint-tiny_1"],
        new_engine_id="endpoint-tiny_2",
        hyper_parameters={"max_steps": 3, "batch_size": 4, "max_length": 64},
    )
    assert run.placement == TrainingRun.Placement.GPU
    # As the lifecycle does when it asks for the run's machine: the token opens while it runs.
    TrainingRun.objects.filter(id=run.id).update(status=TrainingRun.Status.RUNNING)
    status = run_job(
        api=live_server.url,
        run_id=str(run.id),
        token=report_token(run.id),
        out_dir=str(tmp_path / "adapter"),
    )
    run.refresh_from_db()
    assert status == "succeeded"
    assert run.status == TrainingRun.Status.SUCCEEDED, run.status_detail
    assert run.build.lora_modules[run.build.adapter] == str(tmp_path / "adapter")
    assert run.metrics["steps"] == 3
    assert '"loss"' in run.log
    assert (tmp_path / "adapter" / "adapter_model.safetensors").exists()


def test_a_training_droplet_is_firewalled_and_never_takes_a_password(
    gpu_training, fake_do, settings
):
    def runcmd(keys):
        settings.DO_SSH_KEYS = keys
        GpuInstance.objects.all().delete()
        fake_do.requests.clear()
        TrainingRun.objects.update(status=TrainingRun.Status.QUEUED)
        lifecycle_tick(loads={})
        [create] = [call for call in fake_do.requests if call.method == "POST"]
        cloud = yaml.safe_load(create.body["user_data"])
        files = {entry["path"]: entry["content"] for entry in cloud["write_files"]}
        assert "PasswordAuthentication no" in files["/etc/ssh/sshd_config.d/10-prospector.conf"]
        return [
            " ".join(map(str, step)) if isinstance(step, list) else step for step in cloud["runcmd"]
        ]

    closed = runcmd([])
    assert closed[:2] == ["ufw default deny incoming", "ufw default allow outgoing"]
    assert "systemctl mask ssh.service ssh.socket" in closed
    assert not any("port 22" in step for step in closed)
    assert closed.index("ufw --force enable") < closed.index(
        "systemctl start --no-block prospector-training.service"
    )

    by_key = runcmd(["ab:cd"])
    assert f"ufw allow from {settings.GPU_APP_CIDR} to any port 22 proto tcp" in by_key
    assert not any("mask" in step for step in by_key)


def test_training_counts_toward_max_instances_and_the_budget(
    gpu_training, fake_do, clock, settings
):
    from engines.gpu.lifecycle import BuildLoad as Load
    from engines.gpu.services import gpu_policy_update

    # The parent's serving machine takes its one slot: the run waits, saying why.
    lifecycle_tick(loads={DO_BUILD: Load(items=5)})
    report = lifecycle_tick(loads={DO_BUILD: Load(items=5)})
    run = TrainingRun.objects.get()
    assert run.status == TrainingRun.Status.QUEUED
    assert "max instances: 1" in report.waiting[str(run.id)]
    assert run.status_detail.startswith("Waiting: ")
    assert not GpuInstance.objects.filter(training_run__isnull=False).exists()

    # A second slot: the run gets its machine, and the serving plan cannot take it back.
    gpu_policy_update(user=None, max_instances=2)
    lifecycle_tick(loads={DO_BUILD: Load(items=5)})
    assert GpuInstance.objects.filter(training_run=run).count() == 1

    # The day's budget spent: everything is released, the training machine too.
    gpu_policy_update(user=None, daily_budget_usd=0)
    lifecycle_tick(loads={})
    lifecycle_tick(loads={})
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.FAILED
    assert "daily budget" in run.status_detail
    assert not GpuInstance.objects.filter(state__in=GpuInstance.LIVE).exists()
