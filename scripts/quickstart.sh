#!/usr/bin/env bash
# Installs what is missing, builds FedSim in release mode and runs the quick-start topology.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product fedsim
exec .build/release/fedsim run topologies/quickstart.yaml "$@"
