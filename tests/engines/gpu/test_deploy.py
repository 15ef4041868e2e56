"""The GPU droplet's user data: what boots vLLM, and what must never leak or open up."""

import dataclasses
import re

import pytest
import yaml

from engines.gpu.deploy import (
    CredentialsHandover,
    ServeConfig,
    max_lora_rank,
    render_user_data,
    serving_credentials,
    vllm_command,
)
from engines.gpu.droplet_access import issue_certificate

API_KEY = "k3y-0nly-in-the-env-file_xyz"
APP_CIDR = "203.0.113.7/32"
TLS = issue_certificate("prospector-gpu-0a1b2c3d")
PEM_BEGIN, PEM_END = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
INSTANCE = "6f1c1d7e-1111-4000-8000-000000000001"
HANDOVER = CredentialsHandover(
    url=f"https://panel.example.test/api/gpu/instances/{INSTANCE}/credentials/",
    token="0ne-time-t0ken",
)


def sample(**changes) -> ServeConfig:
    config = ServeConfig(
        engine_id="do-gpu-mistral-nemo-12b-uncensored_2026-06-29.1",
        model_path="/mnt/weights/models/mistral-nemo-12b-uncensored_2026-06-29.1",
        served_model="mistral-nemo-12b-uncensored_2026-06-29.1",
        lora_modules={
            "moves": "/mnt/weights/loras/moves",
            "voice": "/mnt/weights/loras/voice",
        },
        allowed_cidr=APP_CIDR,
        volume_name="weights-2026-06-29-1",
    )
    return dataclasses.replace(config, **changes) if changes else config


def parsed(config: ServeConfig) -> dict:
    text = render_user_data(config, HANDOVER)
    assert text.startswith("#cloud-config\n")
    return yaml.safe_load(text)


def file_content(document: dict, path: str) -> str:
    [entry] = [entry for entry in document["write_files"] if entry["path"] == path]
    return entry["content"]


def exec_start(document: dict) -> str:
    unit = file_content(document, "/etc/systemd/system/vllm.service")
    [line] = [line for line in unit.splitlines() if line.startswith("ExecStart=")]
    return line.removeprefix("ExecStart=")


def test_user_data_is_cloud_config_with_every_placeholder_filled():
    text = render_user_data(sample(), HANDOVER)
    assert text.startswith("#cloud-config\n")
    assert "$" not in text
    assert isinstance(yaml.safe_load(text), dict)


def test_unit_runs_vllm_serve_with_the_generator_and_both_lora_heads():
    command = exec_start(parsed(sample()))
    assert command.startswith("/opt/vllm/bin/vllm serve /mnt/weights/models/")
    assert "--host 0.0.0.0 --port 8000" in command
    assert "--served-model-name mistral-nemo-12b-uncensored_2026-06-29.1" in command
    assert "--gpu-memory-utilization 0.9" in command
    assert "--max-model-len 8192" in command
    assert "--enable-lora" in command
    assert "--max-lora-rank 16" in command
    assert "--max-loras 2" in command
    assert command.endswith(
        "--lora-modules moves=/mnt/weights/loras/moves voice=/mnt/weights/loras/voice"
    )


def test_lora_modules_go_after_a_single_flag_because_vllm_keeps_only_the_last_one():
    argv = vllm_command(sample())
    assert argv.count("--lora-modules") == 1
    start = argv.index("--lora-modules") + 1
    assert argv[start:] == ["moves=/mnt/weights/loras/moves", "voice=/mnt/weights/loras/voice"]


def test_lora_flags_are_left_out_when_there_are_no_heads():
    argv = vllm_command(sample(lora_modules={}))
    assert not {"--enable-lora", "--max-lora-rank", "--max-loras", "--lora-modules"} & set(argv)
    assert "--enable-lora" not in exec_start(parsed(sample(lora_modules={})))


def test_the_user_data_holds_only_a_one_time_token_in_a_root_only_file():
    document = parsed(sample(tls_certificate=TLS.certificate))
    holders = [e for e in document["write_files"] if HANDOVER.token in e["content"]]
    assert [entry["path"] for entry in holders] == ["/etc/prospector/handover-token"]
    [token_file] = holders
    assert token_file["content"] == f"{HANDOVER.token}\n"
    assert token_file["permissions"] == "0600"
    assert token_file["owner"] == "root:root"
    text = render_user_data(sample(tls_certificate=TLS.certificate), HANDOVER)
    assert "VLLM_API_KEY=" not in text
    assert "PRIVATE KEY" not in text
    assert not any(HANDOVER.token in command for command in document["runcmd"])


def test_a_oneshot_unit_fetches_the_credentials_before_vllm_and_vllm_needs_it():
    document = parsed(sample(tls_certificate=TLS.certificate))
    unit = file_content(document, "/etc/systemd/system/droplet-credentials.service")
    assert "Type=oneshot" in unit
    assert "Before=vllm.service" in unit
    # Spent once: the script removes the token, so a reboot skips the fetch.
    assert "ConditionPathExists=/etc/prospector/handover-token" in unit
    [line] = [line for line in unit.splitlines() if line.startswith("ExecStart=")]
    assert line == (
        "ExecStart=/usr/bin/python3 /usr/local/lib/prospector/fetch_credentials.py "
        f"--url {HANDOVER.url} --token-file /etc/prospector/handover-token "
        "vllm.env=/etc/vllm/vllm.env tls-key.pem=/etc/vllm/tls/key.pem"
    )
    assert HANDOVER.token not in unit
    drop_in = file_content(document, "/etc/systemd/system/vllm.service.d/credentials.conf")
    assert "Requires=droplet-credentials.service" in drop_in
    assert "After=droplet-credentials.service" in drop_in
    script = file_content(document, "/usr/local/lib/prospector/fetch_credentials.py")
    assert "os.O_CREAT | os.O_EXCL, 0o600" in script


def test_the_token_is_spent_before_the_long_install_not_after_it():
    runcmd = parsed(sample())["runcmd"]
    fetch = runcmd.index("systemctl start droplet-credentials.service")
    assert runcmd.index("ufw --force enable") < fetch
    assert fetch < next(i for i, step in enumerate(runcmd) if "pip install" in step)


def test_api_key_stays_out_of_the_command_line_and_reaches_vllm_by_its_env_file():
    document = parsed(sample())
    assert "--api-key" not in exec_start(document)
    unit = file_content(document, "/etc/systemd/system/vllm.service")
    assert "EnvironmentFile=/etc/vllm/vllm.env" in unit
    assert serving_credentials(api_key=API_KEY) == {"vllm.env": f"VLLM_API_KEY={API_KEY}\n"}


def test_tls_certificate_is_a_file_and_its_fetched_key_is_what_vllm_serves_https_with():
    document = parsed(sample(tls_certificate=TLS.certificate))
    certificate = [e for e in document["write_files"] if e["path"] == "/etc/vllm/tls/cert.pem"]
    assert certificate[0]["content"].strip() == TLS.certificate.strip()
    assert certificate[0]["permissions"] == "0644"
    assert not [e for e in document["write_files"] if e["path"] == "/etc/vllm/tls/key.pem"]
    fetched = serving_credentials(api_key=API_KEY, tls_private_key=TLS.private_key)
    assert fetched["tls-key.pem"] == TLS.private_key
    unit = file_content(document, "/etc/systemd/system/vllm.service")
    # systemd copies the key, as root, where only the vllm user's service can read it.
    assert "LoadCredential=tls-key:/etc/vllm/tls/key.pem" in unit
    command = exec_start(document)
    assert "--ssl-certfile /etc/vllm/tls/cert.pem --ssl-keyfile %d/tls-key" in command


def test_inside_the_vpc_vllm_serves_plain_http_and_no_certificate_is_written():
    document = parsed(sample())
    assert "--ssl" not in exec_start(document)
    assert "LoadCredential" not in file_content(document, "/etc/systemd/system/vllm.service")
    assert not [entry for entry in document["write_files"] if "/tls/" in entry["path"]]
    unit = file_content(document, "/etc/systemd/system/droplet-credentials.service")
    assert "tls-key.pem" not in unit


def test_the_metadata_service_with_the_user_data_is_refused_to_vllm_before_it_starts():
    document = parsed(sample())
    guard = file_content(document, "/etc/systemd/system/metadata-guard.service")
    rule = "-d 169.254.169.254/32 -m owner --uid-owner vllm -j REJECT"
    assert f"ExecStart=/usr/sbin/iptables -w -I OUTPUT {rule}" in guard
    unit = file_content(document, "/etc/systemd/system/vllm.service")
    assert "Requires=metadata-guard.service" in unit
    assert "After=network-online.target metadata-guard.service" in unit


def test_firewall_denies_by_default_and_opens_ssh_and_model_port_to_the_app_only():
    runcmd = parsed(sample(port=8443, has_ssh_keys=True))["runcmd"]
    ufw = [command for command in runcmd if command.startswith("ufw ")]
    assert ufw[0] == "ufw default deny incoming"
    allows = [command for command in ufw if command.startswith("ufw allow")]
    assert allows == [
        f"ufw allow from {APP_CIDR} to any port 22 proto tcp",
        f"ufw allow from {APP_CIDR} to any port 8443 proto tcp",
    ]
    assert "ufw --force enable" in ufw
    assert runcmd.index("ufw --force enable") < runcmd.index("systemctl enable --now vllm.service")


def test_without_ssh_keys_there_is_no_ssh_and_never_a_password():
    cloud = parsed(sample())
    runcmd = cloud["runcmd"]
    assert "systemctl mask ssh.service ssh.socket" in runcmd
    assert not any("port 22" in step for step in runcmd)
    files = {entry["path"]: entry["content"] for entry in cloud["write_files"]}
    assert "PasswordAuthentication no" in files["/etc/ssh/sshd_config.d/10-prospector.conf"]


def test_a_bare_address_is_accepted_as_a_single_host_network():
    runcmd = parsed(sample(allowed_cidr="203.0.113.7"))["runcmd"]
    assert "ufw allow from 203.0.113.7/32 to any port 8000 proto tcp" in runcmd


def test_firewall_takes_an_ipv6_app_address():
    runcmd = parsed(sample(allowed_cidr="2001:db8::7/128"))["runcmd"]
    assert "ufw allow from 2001:db8::7/128 to any port 8000 proto tcp" in runcmd


def test_weights_volume_is_mounted_read_only_before_vllm_starts():
    document = parsed(sample())
    mount = file_content(document, "/etc/systemd/system/weights-volume.service")
    device = "/dev/disk/by-id/scsi-0DO_Volume_weights-2026-06-29-1"
    assert f"ExecStart=/usr/bin/mount -o ro,noatime {device} /mnt/models" in mount
    drop_in = file_content(document, "/etc/systemd/system/vllm.service.d/weights-volume.conf")
    assert "Requires=weights-volume.service" in drop_in
    assert "After=weights-volume.service" in drop_in


def test_the_weights_mount_is_where_do_weights_mount_says(settings):
    settings.DO_WEIGHTS_MOUNT = "/srv/weights/"
    mount = file_content(parsed(sample()), "/etc/systemd/system/weights-volume.service")
    device = "/dev/disk/by-id/scsi-0DO_Volume_weights-2026-06-29-1"
    assert f"ExecStart=/usr/bin/mount -o ro,noatime {device} /srv/weights\n" in mount


def test_a_weights_mount_that_is_no_absolute_path_is_refused(settings):
    settings.DO_WEIGHTS_MOUNT = "mnt/models"
    with pytest.raises(ValueError, match="DO_WEIGHTS_MOUNT"):
        render_user_data(sample(), HANDOVER)


def test_no_volume_means_no_mount_at_all():
    text = render_user_data(sample(volume_name=""), HANDOVER)
    document = yaml.safe_load(text)
    assert "scsi-0DO_Volume" not in text
    assert "weights-volume" not in text
    assert [entry["path"] for entry in document["write_files"]] == [
        "/etc/ssh/sshd_config.d/10-prospector.conf",
        "/etc/prospector/handover-token",
        "/usr/local/lib/prospector/fetch_credentials.py",
        "/etc/systemd/system/droplet-credentials.service",
        "/etc/systemd/system/vllm.service.d/credentials.conf",
        "/etc/systemd/system/metadata-guard.service",
        "/etc/systemd/system/vllm.service",
    ]
    assert "systemctl enable --now vllm.service" in document["runcmd"]


def test_vllm_is_pinned_and_runs_unprivileged():
    document = parsed(sample())
    assert any(re.fullmatch(r".*pip install .*vllm==\d+\.\d+\.\d+", c) for c in document["runcmd"])
    assert "User=vllm" in file_content(document, "/etc/systemd/system/vllm.service")


def test_config_does_not_follow_later_changes_to_the_callers_dict():
    heads = {"moves": "/mnt/weights/loras/moves"}
    config = sample(lora_modules=heads)
    heads["evil"] = "/tmp/x"
    assert "evil" not in " ".join(vllm_command(config))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"engine_id": "template"}, "engine_id"),
        ({"engine_id": "do-gpu-Bad Id"}, "engine_id"),
        ({"model_path": ""}, "model_path"),
        ({"model_path": "/mnt/weights/my model"}, "model_path"),
        ({"model_path": "/mnt/weights/'model'"}, "model_path"),
        ({"model_path": '/mnt/weights/"model"'}, "model_path"),
        ({"model_path": "/mnt/weights/$(reboot)"}, "model_path"),
        ({"served_model": ""}, "served_model"),
        ({"served_model": "gen erator"}, "served_model"),
        ({"lora_modules": {"moves head": "/mnt/weights/loras/moves"}}, "lora_modules"),
        ({"lora_modules": {"moves=x": "/mnt/weights/loras/moves"}}, "lora_modules"),
        ({"lora_modules": {"moves": "/mnt/weights/loras/my moves"}}, "lora_modules"),
        ({"lora_modules": {"moves": "/mnt/weights/loras/'moves'"}}, "lora_modules"),
        ({"lora_modules": {"moves": "/mnt/a,b"}}, "lora_modules"),
        ({"lora_modules": {"moves": ""}}, "lora_modules"),
        ({"lora_modules": {"mistral-nemo-12b-uncensored_2026-06-29.1": "/x"}}, "lora_modules"),
        ({"port": 0}, "port"),
        ({"port": 65536}, "port"),
        ({"port": 22}, "port"),
        ({"port": "8000"}, "port"),
        ({"allowed_cidr": ""}, "allowed_cidr"),
        ({"allowed_cidr": "not-an-ip"}, "allowed_cidr"),
        ({"allowed_cidr": "203.0.113.7/24"}, "allowed_cidr"),
        ({"allowed_cidr": "0.0.0.0/0"}, "allowed_cidr"),
        ({"volume_name": "Weights Volume"}, "volume_name"),
        ({"gpu_memory_utilization": 0}, "gpu_memory_utilization"),
        ({"gpu_memory_utilization": 1.5}, "gpu_memory_utilization"),
        ({"max_model_len": 0}, "max_model_len"),
        ({"max_lora_rank": 12}, "max_lora_rank"),
        ({"tls_certificate": f"{PEM_BEGIN}\n$(reboot)\n{PEM_END}"}, "tls_certificate"),
        ({"tls_certificate": TLS.private_key}, "tls_certificate"),
    ],
)
def test_invalid_input_raises_value_error_naming_the_field(changes, field):
    with pytest.raises(ValueError, match=rf"^{re.escape(field)}"):
        render_user_data(sample(**changes), HANDOVER)


@pytest.mark.parametrize(
    ("credentials", "field"),
    [
        ({"api_key": ""}, "api_key"),
        ({"api_key": "key with space"}, "api_key"),
        ({"api_key": "key\nEXTRA=1"}, "api_key"),
        ({"api_key": API_KEY, "tls_private_key": TLS.certificate}, "tls_private_key"),
    ],
)
def test_credentials_that_would_break_the_env_or_key_file_are_refused(credentials, field):
    with pytest.raises(ValueError, match=rf"^{re.escape(field)}"):
        serving_credentials(**credentials)


@pytest.mark.parametrize(
    ("url", "token", "field"),
    [
        ("ftp://panel.example.test/x/", "t0ken", "credentials url"),
        ("https://panel.example.test/$(reboot)/", "t0ken", "credentials url"),
        ("https://panel.example.test/a b/", "t0ken", "credentials url"),
        ("https://panel.example.test/x/", "", "credentials token"),
        ("https://panel.example.test/x/", "t0ken\nEXTRA", "credentials token"),
    ],
)
def test_a_handover_that_would_break_the_unit_is_refused(url, token, field):
    with pytest.raises(ValueError, match=rf"^{re.escape(field)}"):
        CredentialsHandover(url=url, token=token)


@pytest.mark.parametrize(
    ("ranks", "served"), [([], 16), ([8], 8), ([4, 16], 16), ([17], 32), ([300], 320)]
)
def test_the_served_lora_rank_fits_the_largest_adapter(ranks, served):
    assert max_lora_rank(ranks) == served


def test_an_adapter_above_what_vllm_serves_is_refused():
    with pytest.raises(ValueError, match="max_lora_rank: an adapter of rank 600"):
        max_lora_rank([600])
