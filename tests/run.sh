#!/usr/bin/env bash
# Install what the test suite needs on a Debian/Ubuntu machine, then run it: lint, index check,
# pytest. Google's fastboot/adb/img2simg/simg2img are the reference oracles; umockdev lets real
# libusb talk to an emulated USB phone. Used by CI (.ci/run) and by the README.
#
# Only what is missing gets installed: Debian packages with apt-get (tests/debian_packages.sh:
# through sudo, which may ask for your password, unless you are root), the Python package and its
# test extras in .venv (again only when pyproject.toml changed since the last install).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  echo "tests/run.sh: unlocker needs Python 3.10 or newer, and '$PY' is $("$PY" -V 2>&1 || echo 'not installed')." >&2
  echo "tests/run.sh: install a newer Python and run again with PYTHON=python3.X (e.g. PYTHON=python3.12)." >&2
  exit 1
fi

bash tests/debian_packages.sh "$PY"

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.unlocker-test-install
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  # setuptools announces every editable install with a multi-line notice; it is information only.
  PYTHONWARNINGS="ignore:Editable installation" .venv/bin/python -m pip install -q -e '.[test]'
  touch "$stamp"
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/unlocker index validate
# Two workers: the suite is mostly waiting on subprocesses and sockets, so it halves the time on
# the 2-core machines CI and most volunteers have (PYTEST_WORKERS=0 runs it in one process).
.venv/bin/python -m pytest -q -n "${PYTEST_WORKERS:-2}" "$@"
