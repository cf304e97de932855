#!/usr/bin/env bash
# Measures the docker-compose deployment against the same run on the host: image size and build
# time, and the time from `docker-compose up` (or `fedsim run`) to the first round and to the end.
# Needs root and Debian's docker.io/docker-compose; starts and removes a private engine.
#
#   scripts/bench-compose.sh [TOPOLOGY] [RUNS]     # defaults: topologies/quickstart.yaml, 5 repetitions
set -euo pipefail
cd "$(dirname "$0")/.."
topology=${1:-topologies/quickstart.yaml}
repetitions=${2:-5}
binary=.build/release/fedsim
[ -x "$binary" ] || swift build -c release --product fedsim
work=$(mktemp -d /tmp/fsb.XXXXXX)
engine="$work/e"
trap 'scripts/docker-engine.sh stop "$engine" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
export DOCKER_HOST=$(scripts/docker-engine.sh start "$engine")
mkdir -p "$work/topologies"
cp "$topology" "$work/topologies/run.yaml"
now() { date +%s.%N; }
# Seconds from $1 until the file $2 holds a round_start event.
until_first_round() {
  while ! grep -q '"event":"round_start"' "$2" 2>/dev/null; do sleep 0.002; done
  awk -v a="$(now)" -v b="$1" "BEGIN{print a-b}"
}
start=$(now)
scripts/docker-image.sh --binary "$binary" --tag fedsim:bench >/dev/null
build_s=$(awk -v a="$(now)" -v b="$start" "BEGIN{print a-b}")
size=$(docker image inspect -f '{{.Size}}' fedsim:bench)
printf 'image: %d MB, built in %.1f s (binary %d MB)\n' $((size / 1000000)) "$build_s" $(( $(stat -c %s "$binary") / 1000000 ))
export FEDSIM_IMAGE=fedsim:bench FEDSIM_TOPOLOGIES="$work/topologies" FEDSIM_TOPOLOGY=run.yaml
for i in $(seq 1 "$repetitions"); do
  # compose
  rm -rf "$work/runs"; mkdir -p "$work/runs"
  export FEDSIM_RUNS="$work/runs"
  start=$(now)
  docker-compose -p fsbench up -d >/dev/null 2>&1
  events=$(ls -d "$work"/runs/*/ 2>/dev/null | head -1)
  while [ -z "$events" ]; do sleep 0.002; events=$(ls -d "$work"/runs/*/ 2>/dev/null | head -1); done
  first=$(until_first_round "$start" "${events}events.jsonl")
  docker wait fsbench_coordinator_1 >/dev/null
  total=$(awk -v a="$(now)" -v b="$start" "BEGIN{print a-b}")
  docker-compose -p fsbench down >/dev/null 2>&1
  # host
  rm -rf "$work/host"
  start=$(now)
  "$binary" run "$work/topologies/run.yaml" --quiet --out "$work/host" >/dev/null 2>&1 &
  host_pid=$!
  while [ ! -f "$work/host/events.jsonl" ]; do sleep 0.002; done
  host_first=$(until_first_round "$start" "$work/host/events.jsonl")
  wait $host_pid
  host_total=$(awk -v a="$(now)" -v b="$start" "BEGIN{print a-b}")
  same=$(diff -q <(cut -d, -f1,3- "$work/host/metrics.csv") <(cut -d, -f1,3- "${events}metrics.csv") >/dev/null && echo identical || echo DIFFERENT)
  printf 'run %d: compose up -> first round %.2f s, -> end %.2f s | host fedsim run -> first round %.2f s, -> end %.2f s | metrics %s\n' \
    "$i" "$first" "$total" "$host_first" "$host_total" "$same"
done
