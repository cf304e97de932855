#!/usr/bin/env bash
# Regenerates Sources/FedWire/Generated/fedsim.pb.swift from protos/fedsim.proto.
# Needs protoc (apt: protobuf-compiler) and builds protoc-gen-swift from the pinned
# swift-protobuf dependency (about 30 s in debug). The output is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product protoc-gen-swift >/dev/null
plugin="$(swift build --show-bin-path)/protoc-gen-swift"
mkdir -p Sources/FedWire/Generated
protoc --plugin=protoc-gen-swift="$plugin" \
       --swift_out=Sources/FedWire/Generated --swift_opt=Visibility=Public \
       -I protos protos/fedsim.proto
echo "regenerated Sources/FedWire/Generated/fedsim.pb.swift"
