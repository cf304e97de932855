#!/usr/bin/env bash
# Creates (or removes) a private network of "hosts" on this machine with Linux network namespaces,
# to try a multi-host run without more machines. Needs root and iproute2.
#
#   scripts/netns-hosts.sh up PREFIX N     # hosts PREFIXsrv (10.77.0.1) and PREFIXc1..PREFIXcN, bridged
#   scripts/netns-hosts.sh down PREFIX     # removes every namespace whose name starts with PREFIX
#
# Then, for example:
#   ip netns exec PREFIXsrv .build/release/fedsim coordinator --config X.yaml --bind tcp://10.77.0.1:5700
#   ip netns exec PREFIXc1  .build/release/fedsim worker --connect tcp://10.77.0.1:5700
#
# The namespaces get no default route: traffic to 10.77.0.0/24 stays inside them. Never connect to
# these addresses from the root namespace (it has no route there and would send the packets away).
set -euo pipefail
action=${1:?usage: netns-hosts.sh up PREFIX N | down PREFIX}
prefix=${2:?a namespace prefix is required, e.g. fs1-}
case "$action" in
  up)
    count=${3:?the number of worker hosts is required}
    ip netns add "${prefix}sw"
    ip -n "${prefix}sw" link add br0 type bridge
    ip -n "${prefix}sw" link set br0 up
    i=1
    for host in srv $(seq -f 'c%g' 1 "$count"); do
      ns="${prefix}${host}"
      ip netns add "$ns"
      # Interface names are limited to 15 characters: keep them short and unique per namespace.
      ip link add "vh${i}${prefix:0:6}" type veth peer name "vb${i}${prefix:0:6}"
      ip link set "vh${i}${prefix:0:6}" netns "$ns"
      ip link set "vb${i}${prefix:0:6}" netns "${prefix}sw"
      ip -n "${prefix}sw" link set "vb${i}${prefix:0:6}" master br0 up
      ip -n "$ns" addr add "10.77.0.${i}/24" dev "vh${i}${prefix:0:6}"
      ip -n "$ns" link set "vh${i}${prefix:0:6}" up
      ip -n "$ns" link set lo up
      i=$((i + 1))
    done
    ;;
  down)
    for ns in $(ip netns list | awk '{print $1}' | grep "^${prefix}" || true); do ip netns del "$ns"; done
    ;;
  *)
    echo "unknown action: $action" >&2
    exit 2
    ;;
esac
