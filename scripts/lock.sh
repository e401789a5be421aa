#!/usr/bin/env bash
# Regenerates the hashed locks of the whole dependency tree from pyproject.toml:
#   requirements.lock      what `omnibot run` needs, with the otel and sentry extras (the
#                          Docker image installs exactly this)
#   requirements-dev.lock  that plus every extra: tests, lint, plot, OpenTelemetry, Sentry
# Run it after changing a dependency in pyproject.toml: `bash scripts/lock.sh`.
#
# torch is resolved from PyTorch's CPU wheels (their dependencies are in the locks; their
# CUDA packages never are) but not written into the locks: it is installed first, from the
# CPU index (README). Those wheels come from a local folder of wheels if one holds
# torch 2.13.0+cpu (TORCH_WHEELS, default /opt/wheels), otherwise from PyTorch's index.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v uv >/dev/null || pip install uv==0.13.8

wheels="${TORCH_WHEELS:-/opt/wheels}"
if compgen -G "$wheels/torch-2.13.0+cpu-*.whl" >/dev/null; then
  torch_links="$wheels"
else
  torch_links="https://download.pytorch.org/whl/cpu/torch/"
fi
overrides="$(mktemp)"
trap 'rm -f "$overrides"' EXIT
echo "torch==2.13.0+cpu" >"$overrides"

compile() {
  # Resolved for Python 3.11 (the oldest supported; 3.12 and 3.13 resolve the same tree).
  uv pip compile pyproject.toml "$@" \
    --python-version 3.11 \
    --index-url https://pypi.org/simple \
    --find-links "$torch_links" \
    --override "$overrides" \
    --no-emit-package torch \
    --generate-hashes \
    --no-header \
    --quiet
}

compile --extra otel --extra sentry -o requirements.lock
compile --all-extras -o requirements-dev.lock
