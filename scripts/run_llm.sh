#!/usr/bin/env bash
# `make run-llm`: the demo plus a local model server (Gemma 3 270M on llama.cpp), with the
# endpoint-gemma3-270m build drafting through it, and every adapter `make tune` trained
# (var/adapters) served beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
LLM_PORT="${LLM_PORT:-8931}"

.venv/bin/python -m scripts.local_model_server --port "$LLM_PORT" &
llm=$!
trap 'kill "$llm" 2>/dev/null; wait "$llm" 2>/dev/null' EXIT
until curl -fs "http://127.0.0.1:${LLM_PORT}/v1/models" >/dev/null; do
  # The server script gives up (and exits) on its own deadline.
  kill -0 "$llm" 2>/dev/null || { echo "The model server failed; see var/llama-server-${LLM_PORT}.log"; exit 1; }
  sleep 1
done

export GPU_INFERENCE_URL="http://127.0.0.1:${LLM_PORT}"
export GPU_LLM_MODEL=gemma3-270m GPU_JSON_DIALECT=llama_cpp
echo "Model server: ${GPU_INFERENCE_URL}. After \`make tune\` the trained child drafts; else, in Settings, switch the engine to endpoint-gemma3-270m_2026-11-23.1 (and the classifier to endpoint-gemma3-270m_moves.1)."
# A few new messages for the live draft engine to write, each start.
DEMO_LOAD_ARGS=--new-messages bash scripts/run_demo.sh
