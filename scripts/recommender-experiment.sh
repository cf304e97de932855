#!/usr/bin/env bash
# Reproduces the recommender comparison (README "Federated recommenders"): centralised BPR-MF vs
# NGCF vs LightGCN (protocol A), GMF vs MLP vs NeuMF (protocol B), federated BPR-MF, LightGCN and
# NeuMF against their centralised curves, and the mean_all vs sum item rules; 3 seeds each. Prints
# Markdown tables of the final metrics (mean ± std over seeds) and writes overlay plots.
#
# Usage: scripts/recommender-experiment.sh [OUTPUT_DIR]   (default: runs/recommender-experiment)
# REUSE=1 keeps the runs already in OUTPUT_DIR (those with a metrics.csv) instead of redoing them.
# MovieLens-100K is used when MOVIELENS points at its u.data (it may not be redistributed, so
# nothing here ships it); otherwise the synthetic set of the same shape.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-runs/recommender-experiment}"
seeds="${SEEDS:-1 2 3}"
epochs="${EPOCHS:-40}"
ncf_epochs="${NCF_EPOCHS:-15}"
rounds="${ROUNDS:-100}"
swift build -c release --product fedsim >/dev/null
fedsim=.build/release/fedsim
mkdir -p "$out"

data=()
label="synthetic (943 x 1682)"
if [ -n "${MOVIELENS:-}" ]; then
    if [ -f "$MOVIELENS" ]; then
        data=(--set "workload.dataset.path=$MOVIELENS")
        label="MovieLens-100K"
    else
        echo "MOVIELENS=$MOVIELENS is not a file; using the synthetic set" >&2
    fi
fi
kind=synthetic
[ ${#data[@]} -gt 0 ] && kind=movielens
bpr=topologies/fedrec-bpr-$kind.yaml
neumf=topologies/fedrec-neumf-$kind.yaml

kept() { [ "${REUSE:-0}" = 1 ] && [ -f "$out/$1/metrics.csv" ]; }
central() {  # name seed topology epochs lr batch [--set ...]
    local dir="$out/$1" seed=$2 topology=$3 n=$4 lr=$5 batch=$6
    kept "$1" && return
    shift 6
    rm -rf "$dir"
    "$fedsim" central "$topology" --out "$dir" --set "seed=$seed" --epochs "$n" --lr "$lr" --batch-size "$batch" "$@" >/dev/null
}
federated() {  # name seed topology [--set ...]
    local dir="$out/$1" seed=$2 topology=$3
    kept "$1" && return
    shift 3
    rm -rf "$dir"
    "$fedsim" run "$topology" --quiet --out "$dir" --set "seed=$seed" "$@" >/dev/null
}
last() {  # run directory, column -> the last row's value
    awk -F, -v col="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i } END { print $c }' "$1/metrics.csv"
}
summary() {  # column, run-name prefixes... -> one Markdown row per prefix: mean ± std over seeds
    local column=$1
    shift
    for prefix in "$@"; do
        values=$(for seed in $seeds; do last "$out/$prefix-seed$seed" "$column"; done)
        echo "$values" | awk -v name="$prefix" '{ s += $1; q += $1 * $1; n++ } END { m = s / n; v = q / n - m * m; if (v < 0) v = 0; printf "| %s | %.4f ± %.4f |\n", name, m, sqrt(v) }'
    done
}

for seed in $seeds; do
    # Protocol A, centralised: Adam 0.005, batch 1024, 64-d, K = 3 (spec §5.5 and §5.4 defaults otherwise).
    central "central-bpr_mf-seed$seed" "$seed" "$bpr" "$epochs" 0.005 1024 "${data[@]}"
    central "central-lightgcn-seed$seed" "$seed" "$bpr" "$epochs" 0.005 1024 "${data[@]}" --set workload.model.kind=lightgcn
    central "central-ngcf-seed$seed" "$seed" "$bpr" "$epochs" 0.005 1024 "${data[@]}" --set workload.model.kind=ngcf
    # Protocol B, centralised NCF: Adam 0.001, batch 256, 4 negatives (He et al.'s defaults).
    for variant in gmf mlp neumf; do
        central "central-$variant-seed$seed" "$seed" "$neumf" "$ncf_epochs" 0.001 256 "${data[@]}" --set "workload.model.variant=$variant"
    done
    # Federated BPR-MF (mean_all, and sum with the same step).
    federated "fedrec-mean_all-seed$seed" "$seed" "$bpr" "${data[@]}" --set "algorithm.rounds=$rounds"
    federated "fedrec-sum-seed$seed" "$seed" "$bpr" "${data[@]}" --set "algorithm.rounds=$rounds" --set algorithm.item_rule=sum
    # Federated LightGCN (K = 2, the spec's two-aggregate form) and its centralised counterpart.
    federated "fedrec-lightgcn-seed$seed" "$seed" "$bpr" "${data[@]}" --set "algorithm.rounds=$rounds" \
        --set workload.model.kind=lightgcn --set workload.model.layers=2
    central "central-lightgcn2-seed$seed" "$seed" "$bpr" "$epochs" 0.005 1024 "${data[@]}" --set workload.model.kind=lightgcn \
        --set workload.model.layers=2
    # Federated NeuMF (protocol B).
    federated "fedrec-neumf-seed$seed" "$seed" "$neumf" "${data[@]}" --set "algorithm.rounds=$rounds"
done

echo "## Protocol A on $label, $epochs epochs (Recall@20)"
echo "| model | Recall@20 |"
echo "|---|---|"
summary recall_20 central-bpr_mf central-ngcf central-lightgcn
echo "| model | NDCG@20 |"
echo "|---|---|"
summary ndcg_20 central-bpr_mf central-ngcf central-lightgcn
echo
echo "## Protocol B on $label, $ncf_epochs epochs"
echo "| model | HR@10 |"
echo "|---|---|"
summary hr_10 central-gmf central-mlp central-neumf
echo "| model | NDCG@10 |"
echo "|---|---|"
summary ndcg_10 central-gmf central-mlp central-neumf
echo
echo "## Federated BPR-MF on $label, $rounds rounds of 100 users (Recall@20)"
echo "| run | Recall@20 |"
echo "|---|---|"
summary recall_20 fedrec-mean_all fedrec-sum central-bpr_mf fedrec-lightgcn central-lightgcn2
echo
echo "## Federated NeuMF on $label, $rounds rounds of 100 users (HR@10)"
echo "| run | HR@10 |"
echo "|---|---|"
summary hr_10 fedrec-neumf central-neumf
echo
echo "Epochs of data in the federated runs: $(last "$out/fedrec-mean_all-seed1" data_epochs) (BPR-MF, LightGCN), $(last "$out/fedrec-neumf-seed1" data_epochs) (NeuMF)"

"$fedsim" plot "$out"/central-{bpr_mf,ngcf,lightgcn}-seed1 --metric recall_20 -o "$out/central-protocol-a.svg" \
    --title "Centralised recommenders, $label (seed 1)" >/dev/null
"$fedsim" plot "$out"/central-{gmf,mlp,neumf}-seed1 --metric hr_10 -o "$out/central-protocol-b.svg" \
    --title "NCF variants, $label (seed 1)" >/dev/null
"$fedsim" plot "$out"/fedrec-{mean_all,sum}-seed1 --metric recall_20 -o "$out/federated-item-rules.svg" \
    --title "Federated BPR-MF item rules, $label (seed 1)" >/dev/null
for pair in "bpr_mf mean_all recall_20" "lightgcn2 lightgcn recall_20" "neumf neumf hr_10"; do
    set -- $pair
    "$fedsim" plot "$out/central-$1-seed1" "$out/fedrec-$2-seed1" --metric "$3" --x data_epochs -o "$out/federated-vs-central-$1.svg" \
        --title "Federated vs centralised $1 at equal epochs of data, $label (seed 1)" >/dev/null
done
echo "plots: $out/central-protocol-a.svg $out/central-protocol-b.svg $out/federated-item-rules.svg $out/federated-vs-central-*.svg"
