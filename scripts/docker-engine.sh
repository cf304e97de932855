#!/usr/bin/env bash
# Starts (or stops) a private Docker engine for tests and trials, isolated from any engine the
# machine already runs, and leaves the machine as it found it. Needs root and Debian's docker.io.
#
#   scripts/docker-engine.sh start DIR    # state under DIR (keep the path short); prints DOCKER_HOST
#   scripts/docker-engine.sh stop DIR     # stops it and removes everything it made, DIR included
#
# Isolation: its own socket, data root, exec root, containerd and containerd namespace; no default
# bridge, no iptables rules, no IP forwarding, no masquerading. Containers on one compose network
# reach each other over that network's bridge and nothing else (no route out). Compose networks
# take addresses from 10.213.0.0/16.
set -euo pipefail
action=${1:?usage: docker-engine.sh start DIR | stop DIR}
dir=${2:?a state directory is required}

links() { ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | sort; }

case "$action" in
  start)
    command -v dockerd >/dev/null || { echo "dockerd not found (apt-get install docker.io containerd runc)" >&2; exit 3; }
    [ "$(id -u)" -eq 0 ] || { echo "the Docker engine needs root" >&2; exit 3; }
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    links > "$dir/links.before"
    sysctl -n net.ipv4.ip_forward > "$dir/ip_forward.before"
    # The engine must hold none of the caller's descriptors (a pipe it kept open would make the
    # caller wait for an end of file that never comes).
    for fd in /proc/$$/fd/*; do
      n=${fd##*/}
      if [ "$n" -gt 2 ] 2>/dev/null; then eval "exec $n>&-" 2>/dev/null || true; fi
    done
    setsid dockerd --data-root "$dir/data" --exec-root "$dir/exec" --host "unix://$dir/docker.sock" \
            --pidfile "$dir/dockerd.pid" --containerd-namespace fedsim --containerd-plugins-namespace fedsim-plugins \
            --bridge none --iptables=false --ip-forward=false --ip-masq=false \
            --default-address-pool base=10.213.0.0/16,size=24 --storage-driver overlay2 --log-level warn \
            < /dev/null > "$dir/dockerd.log" 2>&1 &
    echo $! > "$dir/dockerd.launch.pid"
    for _ in $(seq 1 150); do
      if DOCKER_HOST="unix://$dir/docker.sock" docker version >/dev/null 2>&1; then
        echo "unix://$dir/docker.sock"
        exit 0
      fi
      kill -0 "$(cat "$dir/dockerd.launch.pid")" 2>/dev/null || break
      sleep 0.2
    done
    echo "the Docker engine did not start; its log:" >&2
    tail -20 "$dir/dockerd.log" >&2 || true
    "$0" stop "$dir" >/dev/null 2>&1 || true
    exit 4
    ;;
  stop)
    [ -d "$dir" ] || exit 0
    dir=$(cd "$dir" && pwd)
    export DOCKER_HOST="unix://$dir/docker.sock"
    if docker version >/dev/null 2>&1; then
      ids=$(docker ps -aq 2>/dev/null || true)
      [ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1 || true
      docker network prune -f >/dev/null 2>&1 || true
    fi
    pid=$(cat "$dir/dockerd.pid" 2>/dev/null || cat "$dir/dockerd.launch.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    # The engine's own containerd and shims run from the exec root; none may outlive it.
    for p in $(pgrep -f "$dir/" || true); do [ "$p" != "$$" ] && kill -9 "$p" 2>/dev/null || true; done
    # Links the engine made (bridges of compose networks, veth ends) that it left behind.
    if [ -f "$dir/links.before" ]; then
      for link in $(comm -13 "$dir/links.before" <(links)); do
        case "$link" in br-*|veth*|docker*) ip link del "$link" 2>/dev/null || true ;; esac
      done
    fi
    if [ -f "$dir/ip_forward.before" ]; then sysctl -qw net.ipv4.ip_forward="$(cat "$dir/ip_forward.before")"; fi
    # Overlay and namespace mounts under the state directory, deepest first.
    for m in $(awk -v d="$dir/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$dir"
    ;;
  *)
    echo "unknown action: $action" >&2
    exit 2
    ;;
esac
