#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian/Ubuntu machine, then run it.
# Google's fastboot/adb/img2simg/simg2img are the reference oracles; umockdev lets real libusb
# talk to an emulated USB phone. Used by CI (.ci/run) and by the README.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends \
    fastboot adb android-sdk-libsparse-utils \
    umockdev gir1.2-umockdev-1.0 python3-gi libusb-1.0-0 python3-cryptography python3-yaml >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/unlocker index validate
.venv/bin/python -m pytest -q "$@"
