#!/usr/bin/env bash
# `make ee`: write the execution environment's build context with ansible-builder (no container engine needed) and check it.
#   scripts/ee.sh [CONTEXT_DIR]      default .build/ee
# 1. ansible-galaxy collection build: this repository's tarball (galaxy.yml build_ignore keeps local state out) as
#    .build/ee-collection/hyperv-mobility.tar.gz, where execution-environment.yml (additional_build_files) takes it from;
# 2. ansible-builder create: the context, with the tarball in _build/collections/ that meta/ee-requirements.yml installs;
# 3. scripts/check_ee_context.py: the context installs this collection, its Python and system dependencies.
# Build the image itself where podman or docker exists:  ansible-builder build -f execution-environment.yml -t hyperv-mobility-ee
set -euo pipefail

repo="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
context="${1:-$repo/.build/ee}"
if [ -n "${BIN:-}" ]; then export PATH="$BIN:$PATH"; fi
python="$(command -v python3)"
if [ -n "${BIN:-}" ]; then python="$BIN/python"; fi

# The tarball's name carries no version, so the requirements file that installs it never goes stale.
tarballs="$repo/.build/ee-collection"
rm -rf "$tarballs" "$context"
mkdir -p "$tarballs"
ansible-galaxy collection build --force --output-path "$tarballs" "$repo" >/dev/null
built=("$tarballs"/hyperv-mobility-*.tar.gz)
mv "${built[0]}" "$tarballs/hyperv-mobility.tar.gz"

cd "$repo"
ansible-builder create --file execution-environment.yml --context "$context" --output-filename Containerfile
"$python" "$repo/scripts/check_ee_context.py" "$context"
