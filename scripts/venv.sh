#!/usr/bin/env bash
# Create or update .venv from uv.lock with a Python >= 3.12.
set -euo pipefail
cd "$(dirname "$0")/.."

py=$(scripts/find-python.sh)
UV_VERSION=0.13.9
if [ ! -x .tools/bin/uv ]; then
  "$py" -m venv .tools
  .tools/bin/python -m pip install --quiet "uv==$UV_VERSION"
fi
export UV_PROJECT_ENVIRONMENT=.venv
.tools/bin/uv sync --frozen --quiet --python "$py"
