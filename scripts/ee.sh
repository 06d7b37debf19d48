#!/usr/bin/env bash
# `make ee`: write the execution environment's build context with ansible-builder (no container engine needed) and check it.
#   scripts/ee.sh [CONTEXT_DIR]      default .build/ee
# Build the image itself where podman or docker exists:  ansible-builder build -f execution-environment.yml -t hyperv-mobility-ee
set -euo pipefail

repo="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
context="${1:-$repo/.build/ee}"
if [ -n "${BIN:-}" ]; then export PATH="$BIN:$PATH"; fi
python="$(command -v python3)"
if [ -n "${BIN:-}" ]; then python="$BIN/python"; fi

rm -rf "$context"
cd "$repo"
ansible-builder create --file execution-environment.yml --context "$context" --output-filename Containerfile
"$python" "$repo/scripts/check_ee_context.py" "$context"
