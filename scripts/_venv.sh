# Sourced by run.sh and test.sh: make .venv (Python 3.11) and install the project into it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python_bin="${PYTHON:-}"
if [ -z "$python_bin" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      python_bin="$candidate"; break
    fi
  done
fi
if [ -z "$python_bin" ]; then
  echo "Python 3.11 is required (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi
venv="${KRATOM_CDS_VENV:-.venv}"
if [ ! -x "$venv/bin/python" ]; then
  "$python_bin" -m venv "$venv"
fi
# Install (editable) only when the venv is new or pyproject.toml / the extras changed: a start
# then needs no package index (the code itself is picked up by the editable install).
stamp="$venv/.kratom-cds-installed"
hash="$(sha256sum pyproject.toml | cut -d' ' -f1)"
have="$(cat "$stamp" 2>/dev/null || true)"
# "[dev]" includes the runtime install, so a venv set up by test.sh also serves run.sh.
if [ "$have" != "$hash ${1:-}" ] && { [ -n "${1:-}" ] || [ "${have%% *}" != "$hash" ]; }; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e ".${1:-}"
  echo "$hash ${1:-}" > "$stamp"
fi
