"""What boots the GPU droplet: cloud-init user data that starts vLLM for one engine build.

One place renders it, so the firewall, the weights mount, the credentials handover and the
exact ``vllm serve`` command line cannot drift between the provider that creates droplets,
the runbook and the tests. Everything that ends up in a shell, a systemd unit or a firewall
rule is validated here first: a droplet that fails to boot costs GPU time before anyone
notices, and a value that slips into a command line is a remote shell on a box holding the
weights.

User data stays readable from the droplet's metadata service for its whole life, so it
holds no secret that still works: only a one-time token, which a oneshot unit spends at
boot to fetch the droplet's credentials from the app (``deploy/gpu/fetch_credentials.py``,
``engines/gpu/droplet_access.py``).

The templates are ``deploy/gpu/cloud-init.yaml`` and ``training-cloud-init.yaml``
(``string.Template`` placeholders).
"""

import ipaddress
import re
import shlex
import uuid
from dataclasses import dataclass, field
from string import Template

from django.conf import settings

from engines.ids import InvalidEngineId, parse_engine_id

VLLM_VENV = "/opt/vllm"
# One pinned release per template version, so every droplet of a build runs the same server.
VLLM_VERSION = "0.33.0"
# The droplet's TLS identity. The private key file is root's; systemd hands vLLM a copy
# in the service's own credentials directory (LoadCredential), so the vllm user never
# reads /etc/vllm/tls itself.
TLS_CERT_PATH = "/etc/vllm/tls/cert.pem"
TLS_KEY_PATH = "/etc/vllm/tls/key.pem"
TLS_CREDENTIALS = f"      LoadCredential=tls-key:{TLS_KEY_PATH}"
VLLM_ENV_PATH = "/etc/vllm/vllm.env"
RUN_TOKEN_PATH = "/etc/prospector/run-token"
# The credentials handover at boot: the token the user data carries (root's, removed once
# spent), the stdlib script that spends it, and the unit that runs it before the service.
HANDOVER_TOKEN_PATH = "/etc/prospector/handover-token"
HANDOVER_SCRIPT_PATH = "/usr/local/lib/prospector/fetch_credentials.py"
HANDOVER_UNIT = "droplet-credentials.service"
# What a droplet fetches, by name; the unit maps each name to its root-only file.
VLLM_ENV = "vllm.env"
TLS_KEY = "tls-key.pem"
RUN_TOKEN = "run-token"
# DigitalOcean refuses user data above 64 KiB; failing here beats a rejected create call.
MAX_USER_DATA_BYTES = 64 * 1024

# vLLM's LoRAConfig only accepts these ranks; anything else dies at boot on the GPU box.
VLLM_LORA_RANKS = frozenset({1, 8, 16, 32, 64, 128, 256, 320, 512})
# The rank served when no adapter's rank is known (vLLM's own default).
DEFAULT_LORA_RANK = 16


def weights_mount() -> str:
    """Where every droplet mounts the weights volume (DO_WEIGHTS_MOUNT), whatever the volume
    is named: serving droplets read-only, training droplets read-write. DigitalOcean's own
    auto-mount path (/mnt/<name>, with "-" turned into "_") is never used, so an adapter
    written by a training droplet is found at the same path by the droplets that serve it."""
    mount = settings.DO_WEIGHTS_MOUNT
    _check_path("DO_WEIGHTS_MOUNT", mount)
    if not mount.startswith("/") or mount.rstrip("/") == "":
        raise ValueError(f"DO_WEIGHTS_MOUNT: {mount!r} is not an absolute path below /.")
    return mount.rstrip("/")


def adapter_dir_on_volume(engine_id: str) -> str:
    """Where a training droplet writes a build's adapter, and where serving finds it."""
    return f"{weights_mount()}/adapters/{engine_id}"


def max_lora_rank(ranks) -> int:
    """The ``--max-lora-rank`` that fits every adapter a droplet serves: the smallest rank
    vLLM accepts that is at least the largest of ``ranks``."""
    largest = max((int(rank) for rank in ranks), default=DEFAULT_LORA_RANK)
    fitting = [rank for rank in sorted(VLLM_LORA_RANKS) if rank >= largest]
    if not fitting:
        raise ValueError(
            f"max_lora_rank: an adapter of rank {largest} is above the {max(VLLM_LORA_RANKS)} "
            "vLLM serves."
        )
    return fitting[0]


_NAME = re.compile(r"[A-Za-z0-9._-]+")
_SERVED_NAME = re.compile(r"[A-Za-z0-9._/-]+")
# Deliberately narrow: no whitespace or quotes (argv splitting), no "$" or "%" (systemd expands
# both in ExecStart), no "=" or "," (vLLM's --lora-modules parser reads name=path and falls
# back to JSON when it sees a comma), no backslash (escapes in unit files and shells).
_PATH = re.compile(r"[A-Za-z0-9._/:@+-]+")
# The characters secrets.token_urlsafe and base64 produce; anything else risks systemd's
# EnvironmentFile quoting rules.
_API_KEY = re.compile(r"[A-Za-z0-9._~+/=-]+")
# DigitalOcean's own rule for volume names.
_VOLUME_NAME = re.compile(r"[a-z][a-z0-9-]{0,63}")


@dataclass(frozen=True, kw_only=True)
class ServeConfig:
    """One engine build as served on one droplet. Invalid values raise ``ValueError``."""

    engine_id: str
    model_path: str
    served_model: str
    lora_modules: dict[str, str] = field(default_factory=dict)
    # The droplet's own certificate (PEM, public): vLLM serves TLS with it and the private
    # key the droplet fetches at boot. Empty when the app reaches the droplet inside its VPC.
    tls_certificate: str = ""
    port: int = 8000
    allowed_cidr: str
    # SSH by key from the app; without keys, no SSH at all (see ssh_runcmd).
    has_ssh_keys: bool = False
    volume_name: str = ""
    gpu_memory_utilization: float = 0.90
    max_model_len: int = 8192
    max_lora_rank: int = 16

    def __post_init__(self) -> None:
        # A copy, so a caller mutating its dict later cannot change a validated config.
        object.__setattr__(self, "lora_modules", dict(self.lora_modules))
        _validate(self)


@dataclass(frozen=True, kw_only=True)
class CredentialsHandover:
    """Where a droplet fetches its credentials at boot (the app's URL for this instance),
    and the one-time token it shows there. Invalid values raise ``ValueError``."""

    url: str
    token: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.url.startswith(("https://", "http://")) or not _PATH.fullmatch(self.url):
            raise ValueError(f"credentials url: {self.url!r} is not an http(s) URL.")
        if not self.token or not _API_KEY.fullmatch(self.token):
            raise ValueError("credentials token: letters, digits and ._~+/=- only.")


def serving_credentials(*, api_key: str, tls_private_key: str = "") -> dict[str, str]:
    """What a serving droplet fetches at boot, by name: its API key as vLLM's environment
    file (``VLLM_API_KEY``, so the key never shows in ``ps`` or ``systemctl status``) and
    its TLS private key, when it serves TLS."""
    if not api_key:
        raise ValueError("api_key: an API key is required; the model port must not be open.")
    if not _API_KEY.fullmatch(api_key):
        raise ValueError(
            "api_key: use only letters, digits and . _ ~ + / = - (e.g. secrets.token_urlsafe)."
        )
    _check_pem("tls_private_key", tls_private_key, "PRIVATE KEY")
    files = {VLLM_ENV: f"VLLM_API_KEY={api_key}\n"}
    if tls_private_key:
        files[TLS_KEY] = tls_private_key
    return files


def training_credentials(*, run_token: str) -> dict[str, str]:
    """What a training droplet fetches at boot: its run's report token."""
    if not _API_KEY.fullmatch(run_token):
        raise ValueError("run_token: letters, digits and ._~+/=- only.")
    return {RUN_TOKEN: f"{run_token}\n"}


def vllm_command(config: ServeConfig) -> list[str]:
    """The argv of ``vllm serve``. The API key is deliberately absent (see the env file)."""
    command = [
        f"{VLLM_VENV}/bin/vllm",
        "serve",
        config.model_path,
        "--host",
        "0.0.0.0",
        "--port",
        str(config.port),
        "--served-model-name",
        config.served_model,
        "--gpu-memory-utilization",
        format(config.gpu_memory_utilization, "g"),
        "--max-model-len",
        str(config.max_model_len),
    ]
    if config.tls_certificate:
        # %d is systemd's credentials directory: the key is copied there, readable by the
        # vllm user alone, from a root-only file (see TLS_CREDENTIALS).
        command += ["--ssl-certfile", TLS_CERT_PATH, "--ssl-keyfile", "%d/tls-key"]
    if config.lora_modules:
        command += [
            "--enable-lora",
            "--max-lora-rank",
            str(config.max_lora_rank),
            # vLLM batches one adapter at a time by default; the classifier and the voice
            # head should not queue behind each other.
            "--max-loras",
            str(len(config.lora_modules)),
            *lora_arguments(config.lora_modules),
        ]
    return command


def lora_arguments(lora_modules: dict[str, str]) -> list[str]:
    """``--lora-modules name=path ...``: how a server loads a build's adapters."""
    if not lora_modules:
        return []
    # One flag, many values: vLLM's parser keeps only the last --lora-modules given.
    return ["--lora-modules", *(f"{name}={path}" for name, path in lora_modules.items())]


def render_user_data(config: ServeConfig, handover: CredentialsHandover) -> str:
    """The ``#cloud-config`` user data for a droplet serving ``config``, which fetches its
    API key (and TLS private key) at boot through ``handover``."""
    _validate(config)
    targets = {VLLM_ENV: VLLM_ENV_PATH}
    if config.tls_certificate:
        targets[TLS_KEY] = TLS_KEY_PATH
    template = Template(
        (settings.BASE_DIR / "deploy" / "gpu" / "cloud-init.yaml").read_text(encoding="utf-8")
    )
    rendered = template.substitute(
        engine_id=config.engine_id,
        handover_files=_handover_files(handover, targets, service="vllm.service"),
        handover_unit=HANDOVER_UNIT,
        tls_files=_tls_files(config),
        tls_credentials=TLS_CREDENTIALS if config.tls_certificate else "",
        exec_start=" ".join(shlex.quote(arg) for arg in vllm_command(config)),
        weights_volume_files=_weights_volume_files(
            config.volume_name, service="vllm.service", read_only=True
        ),
        allowed_cidr=shlex.quote(str(ipaddress.ip_network(config.allowed_cidr))),
        ssh_runcmd=ssh_runcmd(allowed_cidr=config.allowed_cidr, has_keys=config.has_ssh_keys),
        port=str(config.port),
        vllm_venv=shlex.quote(VLLM_VENV),
        vllm_version=shlex.quote(VLLM_VERSION),
    )
    if len(rendered.encode("utf-8")) > MAX_USER_DATA_BYTES:
        raise ValueError(
            f"user data is {len(rendered.encode('utf-8'))} bytes; DigitalOcean accepts at most "
            f"{MAX_USER_DATA_BYTES}."
        )
    return rendered


def ssh_runcmd(*, allowed_cidr: str, has_keys: bool) -> str:
    """The ``runcmd`` lines for SSH. With keys: the app's address only (the sshd drop-in
    refuses passwords). Without: no SSH at all, since DigitalOcean would otherwise mail a
    root password for it."""
    if not has_keys:
        return (
            "  - systemctl disable --now ssh.service ssh.socket\n"
            "  - systemctl mask ssh.service ssh.socket\n"
        )
    reload = "  - systemctl reload-or-restart ssh.service\n"
    if not allowed_cidr:
        return reload  # keys but no app address to admit: the firewall admits no one
    network = ipaddress.ip_network(allowed_cidr)
    if network.prefixlen == 0:
        raise ValueError(f"allowed_cidr: {allowed_cidr!r} is the whole internet.")
    return f"  - ufw allow from {shlex.quote(str(network))} to any port 22 proto tcp\n{reload}"


TRAINER_PYTHON = "/opt/prospector/.venv/bin/python"


def render_training_user_data(
    *,
    run_id: str,
    api_url: str,
    handover: CredentialsHandover,
    volume_name: str,
    out_dir: str,
    allowed_cidr: str = "",
    has_ssh_keys: bool = False,
) -> str:
    """The ``#cloud-config`` user data for a droplet that trains one run and reports: as
    closed as a serving droplet (no port open, SSH only by key from the app, if at all).
    Its run's report token is fetched at boot through ``handover``."""
    if not _VOLUME_NAME.fullmatch(volume_name):
        raise ValueError("volume_name: a DigitalOcean volume name is required.")
    if not api_url.startswith(("https://", "http://")) or not _PATH.fullmatch(api_url):
        raise ValueError(f"api_url: {api_url!r} is not an http(s) URL.")
    _check_path("out_dir", out_dir)
    command = [
        TRAINER_PYTHON,
        "-m",
        "engines.training.trainer_job",
        "--api",
        api_url,
        "--run",
        str(uuid.UUID(run_id)),
        "--token-file",
        RUN_TOKEN_PATH,
        "--out",
        out_dir,
    ]
    template = Template(
        (settings.BASE_DIR / "deploy" / "gpu" / "training-cloud-init.yaml").read_text(
            encoding="utf-8"
        )
    )
    return template.substitute(
        run_id=str(uuid.UUID(run_id)),
        handover_files=_handover_files(
            handover, {RUN_TOKEN: RUN_TOKEN_PATH}, service="prospector-training.service"
        ),
        exec_start=" ".join(shlex.quote(arg) for arg in command),
        weights_volume_files=_weights_volume_files(
            volume_name, service="prospector-training.service", read_only=False
        ),
        ssh_runcmd=ssh_runcmd(allowed_cidr=allowed_cidr, has_keys=has_ssh_keys),
    )


def _tls_files(config: ServeConfig) -> str:
    """The write_files entry for the droplet's certificate (its private key is fetched)."""
    if not config.tls_certificate:
        return ""
    return f"""\
  - path: {TLS_CERT_PATH}
    owner: root:root
    permissions: "0644"
    content: |
{_indented(config.tls_certificate)}
"""


def _handover_files(handover: CredentialsHandover, targets: dict[str, str], *, service: str) -> str:
    """write_files entries for the one-time token, the script that spends it and the unit
    that runs it before ``service``, which cannot start without it."""
    script = (settings.BASE_DIR / "deploy" / "gpu" / "fetch_credentials.py").read_text(
        encoding="utf-8"
    )
    command = [
        "/usr/bin/python3",
        HANDOVER_SCRIPT_PATH,
        "--url",
        handover.url,
        "--token-file",
        HANDOVER_TOKEN_PATH,
        *(f"{name}={path}" for name, path in targets.items()),
    ]
    return f"""\
  - path: {HANDOVER_TOKEN_PATH}
    owner: root:root
    permissions: "0600"
    content: |
      {handover.token}

  - path: {HANDOVER_SCRIPT_PATH}
    owner: root:root
    permissions: "0644"
    content: |
{_indented(script)}

  - path: /etc/systemd/system/{HANDOVER_UNIT}
    owner: root:root
    permissions: "0644"
    content: |
      [Unit]
      Description=This droplet's credentials, fetched once from the app
      Wants=network-online.target
      After=network-online.target
      Before={service}
      # The token is removed once spent: after a reboot the files are there already.
      ConditionPathExists={HANDOVER_TOKEN_PATH}

      [Service]
      Type=oneshot
      RemainAfterExit=yes
      ExecStart={" ".join(shlex.quote(arg) for arg in command)}

  - path: /etc/systemd/system/{service}.d/credentials.conf
    owner: root:root
    permissions: "0644"
    content: |
      [Unit]
      Requires={HANDOVER_UNIT}
      After={HANDOVER_UNIT}
"""


def _indented(text: str) -> str:
    return "\n".join(f"      {line}".rstrip() for line in text.strip().splitlines())


def _weights_volume_files(volume_name: str, *, service: str, read_only: bool) -> str:
    """write_files entries that mount the volume at ``weights_mount()`` before ``service``
    starts, or nothing."""
    if not volume_name:
        return ""
    mount = weights_mount()
    device = shlex.quote(f"/dev/disk/by-id/scsi-0DO_Volume_{volume_name}")
    options = "ro,noatime" if read_only else "rw,noatime"
    mode = "read-only" if read_only else "read-write"
    # A oneshot unit rather than fstab: DigitalOcean auto-mounts pre-formatted volumes
    # read-write under /mnt/<name> (with "-" as "_"), and the kernel refuses a read-only
    # mount of a filesystem that is mounted read-write, so the auto-mount has to go first.
    # The drop-in makes the service require the mount, so it never starts against a
    # missing model directory.
    return f"""\
  - path: /etc/systemd/system/weights-volume.service
    owner: root:root
    permissions: "0644"
    content: |
      [Unit]
      Description=Model weights volume, {mode} at {mount}
      Before={service}

      [Service]
      Type=oneshot
      RemainAfterExit=yes
      # The volume can attach a little after boot starts.
      ExecStartPre=/usr/bin/timeout 180 /bin/sh -c 'until [ -e {device} ]; do sleep 2; done'
      ExecStartPre=-/usr/bin/umount --all-targets {device}
      ExecStartPre=/usr/bin/mkdir -p {mount}
      ExecStart=/usr/bin/mount -o {options} {device} {mount}
      ExecStop=/usr/bin/umount {mount}

  - path: /etc/systemd/system/{service}.d/weights-volume.conf
    owner: root:root
    permissions: "0644"
    content: |
      [Unit]
      Requires=weights-volume.service
      After=weights-volume.service
"""


def _validate(config: ServeConfig) -> None:
    try:
        engine = parse_engine_id(config.engine_id)
    except InvalidEngineId as error:
        raise ValueError(f"engine_id: {error}") from error
    if engine.is_template:
        raise ValueError("engine_id: the template engine runs no model server.")

    if not config.model_path:
        raise ValueError("model_path: a model path (or Hugging Face repo id) is required.")
    _check_path("model_path", config.model_path)

    if not config.served_model:
        raise ValueError("served_model: the generator's served model name is required.")
    if not _SERVED_NAME.fullmatch(config.served_model):
        raise ValueError(
            f"served_model: {config.served_model!r} may use only letters, digits, '.', '_', "
            "'-' and '/'."
        )

    for name, path in config.lora_modules.items():
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ValueError(
                f"lora_modules: LoRA name {name!r} may use only letters, digits, '.', '_' and '-'."
            )
        if name == config.served_model:
            raise ValueError(
                f"lora_modules: LoRA name {name!r} is the generator's served name; a request "
                "could not pick between them."
            )
        if not path:
            raise ValueError(f"lora_modules: LoRA {name!r} has no path.")
        _check_path(f"lora_modules[{name}]", path)

    _check_pem("tls_certificate", config.tls_certificate, "CERTIFICATE")

    if isinstance(config.port, bool) or not isinstance(config.port, int):
        raise ValueError(f"port: {config.port!r} is not an integer.")
    if not 1 <= config.port <= 65535:
        raise ValueError(f"port: {config.port} is outside 1-65535.")
    if config.port == 22:
        raise ValueError("port: 22 belongs to sshd.")

    try:
        network = ipaddress.ip_network(config.allowed_cidr)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"allowed_cidr: {config.allowed_cidr!r} is not an IP network ({error})."
        ) from error
    if network.prefixlen == 0:
        raise ValueError(
            f"allowed_cidr: {config.allowed_cidr!r} is the whole internet; give the app's address."
        )

    if config.volume_name and not _VOLUME_NAME.fullmatch(config.volume_name):
        raise ValueError(
            f"volume_name: {config.volume_name!r} is not a DigitalOcean volume name (lower-case "
            "letters, digits and '-', starting with a letter, at most 64 characters)."
        )

    utilization = config.gpu_memory_utilization
    if isinstance(utilization, bool) or not isinstance(utilization, int | float):
        raise ValueError(f"gpu_memory_utilization: {utilization!r} is not a number.")
    if not 0 < utilization <= 1:
        raise ValueError(
            f"gpu_memory_utilization: {config.gpu_memory_utilization} must be in (0, 1]."
        )
    if isinstance(config.max_model_len, bool) or not isinstance(config.max_model_len, int):
        raise ValueError(f"max_model_len: {config.max_model_len!r} is not an integer.")
    if config.max_model_len < 1:
        raise ValueError(f"max_model_len: {config.max_model_len} must be positive.")
    if config.max_lora_rank not in VLLM_LORA_RANKS:
        raise ValueError(
            f"max_lora_rank: {config.max_lora_rank} is not one vLLM accepts "
            f"({', '.join(str(rank) for rank in sorted(VLLM_LORA_RANKS))})."
        )


def _check_path(field_name: str, path: str) -> None:
    if not isinstance(path, str) or not _PATH.fullmatch(path):
        raise ValueError(
            f"{field_name}: {path!r} may use only letters, digits and . _ / : @ + - "
            "(no whitespace, quotes, '$', '%', '=', ',' or backslashes)."
        )


# A PEM block: its armour lines around base64 lines, nothing that YAML or a shell could read.
_BASE64_LINE = re.compile(r"[A-Za-z0-9+/=]{1,76}")


def _check_pem(field_name: str, pem: str, label: str) -> None:
    if not pem:
        return
    lines = pem.strip().splitlines()
    armoured = lines[:1] == [f"-----BEGIN {label}-----"] and lines[-1:] == [
        f"-----END {label}-----"
    ]
    if len(lines) < 3 or not armoured or not all(map(_BASE64_LINE.fullmatch, lines[1:-1])):
        raise ValueError(f"{field_name}: not a PEM {label.lower()}.")
