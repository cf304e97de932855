#!/usr/bin/env bash
# Reproduces the graph-FL comparison on Cora (README "Graph federated learning"): local-only,
# naive FedAvg-GCN, ASFGNN-R (interp and distill) and a centralised GCN at Dirichlet label skew
# beta in {0.1, 0.5, 10}, 3 seeds each, 100 rounds. Prints a Markdown table of the final
# node-weighted test accuracy (mean ± std over seeds) and writes one overlay plot per beta.
#
# Usage: scripts/graph-experiment.sh [OUTPUT_DIR]   (default: runs/graph-experiment)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-runs/graph-experiment}"
rounds="${ROUNDS:-100}"
seeds="${SEEDS:-1 2 3}"
swift build -c release --product fedsim >/dev/null
fedsim=.build/release/fedsim
mkdir -p "$out"

run() {  # run-directory-name seed topology [--set ...]
    local dir="$out/$1" seed=$2 topology=$3
    shift 3
    rm -rf "$dir"
    "$fedsim" run "$topology" --quiet --transport inproc --out "$dir" --set "seed=$seed" --set "algorithm.rounds=$rounds" "$@" >/dev/null
}

final_accuracy() {  # run directory -> the last row's test_accuracy
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "test_accuracy") c = i } END { print $c }' "$1/metrics.csv"
}

methods=(local fedavg asfgnn-interp asfgnn-distill central)
for seed in $seeds; do
    # The same network and 20/20/60 split ratios, one client holding the whole graph (no beta).
    run "central-seed$seed" "$seed" topologies/gcn-cora-central.yaml --set workload.dataset.split=random \
        --set 'workload.model.hidden=[64, 32]' --set workload.model.head=true --set workload.model.biases=true \
        --set workload.model.decay_first_layer_only=false
done
for beta in 0.1 0.5 10; do
    for seed in $seeds; do
        skew=(--set "workload.partition.alpha=$beta")
        run "local-beta$beta-seed$seed" "$seed" topologies/gcn-fedavg-cora.yaml --set algorithm.name=gcn_local "${skew[@]}"
        run "fedavg-beta$beta-seed$seed" "$seed" topologies/gcn-fedavg-cora.yaml "${skew[@]}"
        run "asfgnn-interp-beta$beta-seed$seed" "$seed" topologies/asfgnn-cora.yaml "${skew[@]}"
        run "asfgnn-distill-beta$beta-seed$seed" "$seed" topologies/asfgnn-cora.yaml --set algorithm.mode=distill "${skew[@]}"
    done
    "$fedsim" plot "$out"/{local,fedavg,asfgnn-interp,asfgnn-distill}-beta"$beta"-seed1 \
        --output "$out/cora-beta$beta.svg" --title "Cora, 5 clients, Dirichlet beta = $beta (seed 1)" >/dev/null
done

echo "| method | beta = 0.1 | beta = 0.5 | beta = 10 |"
echo "|---|---|---|---|"
for method in "${methods[@]}"; do
    row="| $method |"
    for beta in 0.1 0.5 10; do
        values=""
        for seed in $seeds; do
            run_name="$method-beta$beta-seed$seed"
            [ "$method" = central ] && run_name="central-seed$seed"
            values="$values $(final_accuracy "$out/$run_name")"
        done
        row="$row $(echo "$values" | awk '{ n = NF; for (i = 1; i <= n; i++) { s += $i; q += $i * $i }
                                            m = s / n; v = q / n - m * m; if (v < 0) v = 0
                                            printf "%.1f ± %.1f", 100 * m, 100 * sqrt(v * n / (n > 1 ? n - 1 : 1)) }') |"
    done
    echo "$row"
done
