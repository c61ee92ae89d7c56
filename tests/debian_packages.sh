#!/usr/bin/env bash
# Install the Debian packages the test suite needs, but only those that are missing (tests/run.sh
# calls this). apt-get runs through sudo unless we are root: sudo may ask for a password, so say
# why first. Does nothing on systems without apt-get/dpkg-query.
# Usage: bash tests/debian_packages.sh [PYTHON]   (PYTHON: the interpreter that will make .venv)
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${1:-python3}
command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1 || exit 0

# Google's tools are the reference oracles; umockdev emulates USB phones for real libusb;
# python3-cryptography and python3-yaml: the system python that runs umockdev's helpers needs them.
packages=(fastboot adb android-sdk-libsparse-utils umockdev gir1.2-umockdev-1.0 python3-gi libusb-1.0-0
          python3-cryptography python3-yaml)
if [ ! -x .venv/bin/python ] && ! "$PY" -c 'import ensurepip, venv' 2>/dev/null; then
  packages+=("python$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv")  # to make .venv
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -gt 0 ] || exit 0

echo "tests/run.sh: installing missing Debian packages: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
  echo "tests/run.sh: apt-get needs administrator rights, so sudo may ask for your password." >&2
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
