#!/usr/bin/env bash
# Reproduces the LoRA-mixture comparison (README "Mixtures of LoRAs on a frozen base"): on the
# compositional skill teacher, plain LoRA of rank k·r = 8, a parameter-matched LoRA of rank 32,
# MixLoRA (8 experts, r = 4, top-2), ReMix (k = 2) with M in {2, 4, 8} and ReMix with sampled
# inference, centrally and federated (8 clients, 2 tasks each; plus personal routers), 3 seeds.
# Prints Markdown tables (final test accuracy and routing diagnostics, mean ± std over seeds) and
# writes overlay plots of accuracy and of the effective support size against round.
#
# Usage: scripts/lora-experiment.sh [OUTPUT_DIR]   (default: runs/lora-experiment)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-runs/lora-experiment}"
seeds="${SEEDS:-1 2 3}"
swift build -c release --product fedsim >/dev/null
fedsim=.build/release/fedsim
mkdir -p "$out"

run() {  # run-directory-name seed topology [--set ...]
    local dir="$out/$1" seed=$2 topology=$3
    shift 3
    rm -rf "$dir"
    "$fedsim" run "$topology" --quiet --transport inproc --out "$dir" --set "seed=$seed" "$@" >/dev/null
}

column() {  # run directory, column, row ("last" or a round number) -> the value
    awk -F, -v name="$2" -v row="$3" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
        { if (row == "last" || $1 == row) v = $c } END { print v }' "$1/metrics.csv"
}

stats() {  # values... -> "mean ± std" (sample std)
    echo "$@" | awk '{ n = NF; for (i = 1; i <= n; i++) { s += $i; q += $i * $i }
                       m = s / n; v = (q - n * m * m) / (n > 1 ? n - 1 : 1); if (v < 0) v = 0
                       printf "%.2f ± %.2f", m, sqrt(v) }'
}

mixture=(--set workload.model.rank=4 --set workload.model.experts=8 --set workload.model.top_k=2)
declare -A arms=(
    [lora8]=""
    [lora32]="--set workload.model.rank=32"
    [mixlora]="--set workload.model.kind=mixlora ${mixture[*]}"
    [remix-m2]="--set workload.model.kind=remix ${mixture[*]} --set workload.model.selections=2"
    [remix-m4]="--set workload.model.kind=remix ${mixture[*]} --set workload.model.selections=4"
    [remix-m8]="--set workload.model.kind=remix ${mixture[*]} --set workload.model.selections=8"
    [remix-m4-sampled]="--set workload.model.kind=remix ${mixture[*]} --set workload.model.selections=4 --set workload.model.inference=sampled"
)
order=(lora8 lora32 mixlora remix-m2 remix-m4 remix-m8 remix-m4-sampled)
personal=(mixlora remix-m4)

for seed in $seeds; do
    for arm in "${order[@]}"; do
        # shellcheck disable=SC2086
        run "central-$arm-seed$seed" "$seed" topologies/lora-skills-central.yaml ${arms[$arm]}
        # shellcheck disable=SC2086
        run "federated-$arm-seed$seed" "$seed" topologies/lora-skills-federated.yaml ${arms[$arm]}
    done
    for arm in "${personal[@]}"; do
        # shellcheck disable=SC2086
        run "federated-$arm-personal-seed$seed" "$seed" topologies/lora-skills-federated.yaml ${arms[$arm]} \
            --set workload.model.personal_router=true
    done
done

for setting in central federated; do
    echo
    echo "| $setting arm | test accuracy (%) | ESS l1 / l2 round 1 | ESS l1 / l2 last | inference subsets l1 | MI(task; subset) l1 (nats) |"
    echo "|---|---|---|---|---|---|"
    arms_here=("${order[@]}")
    [ "$setting" = federated ] && arms_here+=(mixlora-personal remix-m4-personal)
    for arm in "${arms_here[@]}"; do
        acc="" e1a="" e2a="" e1z="" e2z="" sub="" mi=""
        for seed in $seeds; do
            dir="$out/$setting-$arm-seed$seed"
            acc="$acc $(column "$dir" test_accuracy last | awk '{ print 100 * $1 }')"
            if [[ "$arm" == lora* || "$arm" == *personal ]]; then continue; fi
            e1a="$e1a $(column "$dir" ess_l1 1)"; e2a="$e2a $(column "$dir" ess_l2 1)"
            e1z="$e1z $(column "$dir" ess_l1 last)"; e2z="$e2z $(column "$dir" ess_l2 last)"
            sub="$sub $(column "$dir" subsets_l1 last)"; mi="$mi $(column "$dir" task_subset_mi_l1 last)"
        done
        if [ -z "$e1a" ]; then
            echo "| $arm | $(stats $acc) | | | | |"
        else
            echo "| $arm | $(stats $acc) | $(stats $e1a) / $(stats $e2a) | $(stats $e1z) / $(stats $e2z) | $(stats $sub) | $(stats $mi) |"
        fi
    done
done

"$fedsim" plot "$out"/central-{lora8,lora32,mixlora,remix-m2,remix-m4,remix-m8}-seed1 --output "$out/central-accuracy.svg" \
    --title "LoRA mixtures on the skill teacher, central (seed 1)" >/dev/null
"$fedsim" plot "$out"/central-{mixlora,remix-m4}-seed1 "$out"/federated-{mixlora,remix-m4}-seed1 --metric ess_l1 \
    --output "$out/ess-l1.svg" --title "Effective support size of layer 1's routing (seed 1)" >/dev/null
"$fedsim" plot "$out"/federated-{lora8,lora32,mixlora,remix-m4,mixlora-personal,remix-m4-personal}-seed1 \
    --output "$out/federated-accuracy.svg" --title "LoRA mixtures, 8 clients with 2 tasks each (seed 1)" >/dev/null
