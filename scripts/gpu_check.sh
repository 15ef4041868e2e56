#!/usr/bin/env bash
# The CUDA path end to end on a GPU machine: 4-bit training of a voice and a classifier
# adapter, vLLM serving both with the command line the app renders for a droplet, one
# draft chain and one strict-JSON classification through the engine code
# (scripts/gpu_check.py). Last line: `RESULT gpu_check=ok` or the first failure.
# Exit status 2 on a machine without CUDA.
#
#   bash scripts/gpu_check.sh        # from the project root, as root on a fresh GPU box
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi >/dev/null 2>&1; then
    echo "gpu_check: no CUDA device here (nvidia-smi finds no GPU); run it on a machine with an NVIDIA GPU."
    exit 2
fi

WORK=${GPU_CHECK_DIR:-/tmp/gpu-check}
VLLM_VERSION=$(python3 -c "import re,sys; print(re.search(r'VLLM_VERSION = \"([^\"]+)\"', open('engines/gpu/deploy.py').read())[1])")
mkdir -p "$WORK"

# The app and its training pins with the CUDA extra (bitsandbytes); torch from PyPI is the
# CUDA build on Linux.
if [ ! -x "$WORK/app/bin/python" ]; then
    python3 -m venv "$WORK/app"
    "$WORK/app/bin/pip" install --quiet --upgrade pip
    "$WORK/app/bin/pip" install --quiet -e '.[train,cuda]'
fi
# vLLM in a venv of its own, as deploy/gpu/cloud-init.yaml installs it in /opt/vllm.
if [ ! -x "$WORK/vllm/bin/vllm" ]; then
    python3 -m venv "$WORK/vllm"
    "$WORK/vllm/bin/pip" install --quiet "vllm==$VLLM_VERSION"
fi

exec "$WORK/app/bin/python" scripts/gpu_check.py "$WORK/vllm/bin"
