"""scripts/gpu_check.sh proves the CUDA path on a GPU machine; anywhere else it says so
and exits 2 before installing anything."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="a GPU machine runs it whole")
def test_without_cuda_the_check_stops_at_once_with_status_2(tmp_path):
    done = subprocess.run(
        ["bash", "scripts/gpu_check.sh"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "GPU_CHECK_DIR": str(tmp_path)},
    )
    assert done.returncode == 2
    assert "no CUDA device here" in done.stdout
    assert not any(tmp_path.iterdir())
