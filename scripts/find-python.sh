#!/usr/bin/env bash
# Print the path of a Python >= 3.12 (Django 6 needs it), or explain and fail.
# PYTHON=/path/to/python overrides the search.
set -euo pipefail

ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }

if [ -n "${PYTHON:-}" ]; then
  if ok "$PYTHON"; then command -v "$PYTHON"; exit 0; fi
  echo "PYTHON=$PYTHON is not a Python 3.12 or newer." >&2
  exit 1
fi
for candidate in python3.12 python3.13 python3 \
    "$HOME"/.pyenv/versions/3.12*/bin/python "$HOME"/.pyenv/versions/3.13*/bin/python \
    /usr/local/bin/python3.12 /usr/local/bin/python3.13 /usr/bin/python3.12 /usr/bin/python3.13; do
  path=$(command -v "$candidate" 2>/dev/null || true)
  [ -n "$path" ] && [ -x "$path" ] || continue
  # pyenv shims answer for versions that are not selected; ask the interpreter itself.
  if ok "$path"; then
    "$path" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
echo "No Python 3.12 or newer found. Install one (e.g. Debian 13: apt-get install python3;" >&2
echo "pyenv: pyenv install 3.12) or run with PYTHON=/path/to/python3.12." >&2
exit 1
