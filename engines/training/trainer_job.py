"""What a training droplet runs: fetch its run from the app, train, report back.

    python -m engines.training.trainer_job --api https://panel.example --run <id> \\
        --token-file /etc/prospector/run-token --out /mnt/models/adapters/<build>

No Django here: the droplet holds only this project's code, the weights volume and the
run's report token. Every report is a POST to /api/training-runs/<id>/report/; the app
registers the build when the run reports success, and its GPU lifecycle destroys the
droplet once the run has ended either way.
"""

import argparse
import json
import time
from pathlib import Path

import httpx

from engines.training.trainer import Head, HyperParameters, train_adapter

LOG_BATCH_SECONDS = 5.0


class Reporter:
    """Posts the run's progress, batching log lines so a long run is not a POST a step."""

    def __init__(self, http: httpx.Client, run_id: str):
        self.http = http
        self.path = f"/api/training-runs/{run_id}/report/"
        self.pending: list[str] = []
        self.sent_at = time.monotonic()

    def send(self, status: str, **fields) -> None:
        lines, self.pending = self.pending, []
        answer = self.http.post(self.path, json={"status": status, "log": lines, **fields})
        answer.raise_for_status()
        self.sent_at = time.monotonic()

    def log(self, line: str) -> None:
        self.pending.append(line)
        if time.monotonic() - self.sent_at >= LOG_BATCH_SECONDS:
            self.send("running")


def run_job(*, api: str, run_id: str, token: str, out_dir: str) -> str:
    """Trains the run and reports how it ended; returns that status."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=api, headers=headers, timeout=60) as http:
        job = http.get(f"/api/training-runs/{run_id}/job/")
        job.raise_for_status()
        job = job.json()
        reporter = Reporter(http, run_id)
        reporter.send("running")
        try:
            result = train_adapter(
                base_model=job["base_model"],
                lines=job["lines"],
                out_dir=Path(out_dir),
                head=Head(job["head"]),
                hyper=HyperParameters(**job["hyper_parameters"]),
                log=reporter.log,
            )
        except Exception as error:  # noqa: BLE001 - reported, whatever it was
            reporter.send("failed", detail=f"{type(error).__name__}: {error}")
            return "failed"
        reporter.send(
            "succeeded",
            metrics=result.metrics,
            adapter_dir=result.adapter_dir,
            device=result.device,
        )
        return "succeeded"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", required=True)
    parser.add_argument("--run", required=True)
    parser.add_argument("--token-file", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    token = Path(args.token_file).read_text().strip()
    status = run_job(api=args.api, run_id=args.run, token=token, out_dir=args.out)
    print(json.dumps({"run": args.run, "status": status}))
    return 0 if status == "succeeded" else 1


if __name__ == "__main__":
    raise SystemExit(main())
