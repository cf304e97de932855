#!/usr/bin/env bash
# Installs what is missing and runs the whole test suite (debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --build-tests
exec swift test --skip-build --disable-xctest "$@"
