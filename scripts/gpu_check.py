"""The CUDA path end to end, on a machine with an NVIDIA GPU (run through gpu_check.sh):

1. builds the tests' tiny model;
2. trains a voice adapter and a classifier adapter with the 4-bit path (QLoRA, the paged
   8-bit optimiser, bf16, gradient checkpointing: engines.training.trainer on CUDA);
3. serves the model with both adapters using the exact command line
   engines.gpu.deploy renders for a droplet (only the vLLM binary's folder differs);
4. runs one draft chain (engines.model_engine) and one strict-JSON move classification
   (engines.classifier) against it through the real engine code;
5. prints `RESULT gpu_check=ok`, or `RESULT gpu_check=failed step=<n>: <why>`.

Exit status: 0 when every step passed, 1 on the first failure, 2 when there is no CUDA.
"""

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NO_CUDA = 2
PORT = 8000


def fail(step: int, why: str) -> None:
    print(f"RESULT gpu_check=failed step={step}: {why}", flush=True)
    sys.exit(1)


def cuda_or_exit() -> None:
    import torch

    if not torch.cuda.is_available():
        print(
            "gpu_check: no CUDA device here (torch.cuda.is_available() is False); run it on a "
            "machine with an NVIDIA GPU.",
            flush=True,
        )
        sys.exit(NO_CUDA)


def setup_django(work: Path) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "gpu-check-only")
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'check.sqlite3'}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def classifier_training_lines() -> list[str]:
    from engines.classifier import move_messages

    examples = [
        ("Hi, are you free Friday evening?", True, "pursue"),
        ("Could we do half an hour?", True, "subhour"),
        ("Your parcel is held, pay the fee here", False, "spam"),
        ("Mum says dinner at 7", False, "personal"),
    ]
    lines = []
    for body, is_prospect, move in examples * 6:
        answer = {"is_prospect": is_prospect, "move": move, "trace": f"Reads as {move}."}
        messages = [*move_messages(body), {"role": "assistant", "content": json.dumps(answer)}]
        lines.append(json.dumps({"messages": messages}))
    return lines


# Enough steps for the tiny model to learn the four answers' shape: a random model, even
# held to the schema, breaks the is_prospect <-> move invariant.
STEPS = {"voice": 20, "classifier": 120}


def tiny_model(work: Path) -> Path:
    """The tests' tiny model, its word-level vocabulary taken from both heads' lines, so
    it can write the classifier's JSON."""
    from tests.support.tiny_lm import SAMPLE_LINES, build_tiny_lm

    texts = [
        turn["content"]
        for line in [*SAMPLE_LINES, *classifier_training_lines()]
        for turn in json.loads(line)["messages"]
    ]
    return build_tiny_lm(work / "tiny", texts)


def train_both(base: Path, work: Path) -> dict[str, Path]:
    from engines.training.trainer import Head, HyperParameters, train_adapter
    from tests.support.tiny_lm import SAMPLE_LINES

    adapters = {}
    for head, lines in ((Head.VOICE, SAMPLE_LINES), (Head.CLASSIFIER, classifier_training_lines())):
        out = work / f"adapter-{head}"
        result = train_adapter(
            base_model=str(base),
            lines=lines,
            out_dir=out,
            head=head,
            hyper=HyperParameters(
                max_steps=STEPS[head], batch_size=4, max_length=256, learning_rate=5e-3
            ),
            log=lambda line, head=head: print(f"  {head}: {line}", flush=True),
        )
        if result.device != "cuda":
            fail(2, f"the {head} adapter trained on {result.device}, not on CUDA")
        adapters[str(head)] = out
    return adapters


def serve(base: Path, adapters: dict[str, Path], vllm_bin: Path) -> tuple[subprocess.Popen, str]:
    from engines.gpu.deploy import VLLM_VENV, ServeConfig, max_lora_rank, vllm_command

    api_key = secrets.token_urlsafe(24)
    config = ServeConfig(
        engine_id="do-gpu-tiny_gpu-check.1",
        model_path=str(base),
        served_model="tiny",
        lora_modules={"voice": str(adapters["voice"]), "moves": str(adapters["classifier"])},
        port=PORT,
        allowed_cidr="127.0.0.1/32",
        max_model_len=256,  # the tiny model's max_position_embeddings
        max_lora_rank=max_lora_rank([16, 16]),
    )
    argv = vllm_command(config)
    # The droplet's venv is /opt/vllm; here it is the one gpu_check.sh made.
    argv[0] = argv[0].replace(f"{VLLM_VENV}/bin", str(vllm_bin))
    print("  " + " ".join(argv), flush=True)
    server = subprocess.Popen(argv, env={**os.environ, "VLLM_API_KEY": api_key})
    return server, api_key


def wait_ready(server: subprocess.Popen, api_key: str, seconds: float = 600) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            fail(3, f"vLLM exited with status {server.returncode}")
        try:
            response = httpx.get(
                f"http://127.0.0.1:{PORT}/v1/models",
                headers={"Authorization": f"Bearer {api_key}"},
                timeout=5,
            )
            if response.status_code == 200:
                served = {model["id"] for model in response.json()["data"]}
                if not {"tiny", "voice", "moves"} <= served:
                    fail(3, f"vLLM serves {sorted(served)}, not the model and both adapters")
                return
        except httpx.HTTPError:
            pass
        time.sleep(3)
    fail(3, f"vLLM did not answer within {seconds:.0f} s")


def draft_and_classify(api_key: str) -> None:
    from django.conf import settings

    from engines.base import DraftRequest, Step, Turn, WorkflowSpec
    from engines.classifier import classify_move
    from engines.dialect import Dialect
    from engines.inference import InferenceClient
    from engines.model_engine import ModelEngine
    from engines.services import engine_build_register

    url = f"http://127.0.0.1:{PORT}/v1"
    settings.GPU_API_KEY = api_key
    spec = WorkflowSpec(
        label="gpu-check@1",
        context=(),
        steps=(Step("think", "What does the person want?"), Step("draft", "Write the reply.", 200)),
    )
    request = DraftRequest(
        template_key="pursue.next_step",
        canon_text="",
        max_chars=1000,
        inbound_body="Hi, are you free Friday evening?",
        history=(Turn("Client", "Hi, are you free Friday evening?"),),
        workflow=spec,
    )
    with InferenceClient(url, dialect=Dialect.OPENAI, api_key=api_key) as client:
        result = ModelEngine(
            engine_id="do-gpu-tiny_gpu-check.1", client=client, model="voice"
        ).draft(request)
    if len(result.steps) != len(spec.steps):
        fail(4, f"the draft chain ran {len(result.steps)} of {len(spec.steps)} steps")
    print(f"  draft: {result.body!r}", flush=True)

    classifier = "endpoint-tiny_gpu-check-moves.1"
    engine_build_register(
        engine_id=classifier,
        endpoint_url=url,
        served_model="moves",
        json_dialect=Dialect.OPENAI,
        head="classifier",
    )
    outcome = classify_move("Could we do half an hour?", classifier)
    if outcome.answer is None:
        fail(4, f"the move classifier gave no valid strict-JSON answer ({outcome.problem})")
    print(f"  classification: {outcome.answer}", flush=True)


def main() -> None:
    cuda_or_exit()
    vllm_bin = Path(sys.argv[1])
    work = Path(tempfile.mkdtemp(prefix="gpu-check-"))
    setup_django(work)
    print("1. the tests' tiny model", flush=True)
    base = tiny_model(work)
    print("2. a voice and a classifier adapter, 4-bit", flush=True)
    adapters = train_both(base, work)
    print("3. vLLM with both adapters, as a droplet runs it", flush=True)
    server, api_key = serve(base, adapters, vllm_bin)
    try:
        wait_ready(server, api_key)
        print("4. a draft chain and a classification through the engine code", flush=True)
        draft_and_classify(api_key)
    finally:
        server.terminate()
        server.wait(timeout=60)
    print("RESULT gpu_check=ok", flush=True)


if __name__ == "__main__":
    main()
