#!/usr/bin/env bash
# Validates the deployment files offline: docker-compose.yml (docker-compose 1.x and the
# Compose-spec schema) and deploy/kubernetes/*.yaml (the Kubernetes schemas bundled by PyPI's
# kubernetes-validate), then checks that they agree with the fedsim command line they call.
#
#   scripts/validate-deploy.sh [FEDSIM_BINARY] [ROOT]   # defaults: .build/release/fedsim, this repository
#
# ROOT is a folder holding docker-compose.yml and deploy/kubernetes/ (the tests check altered copies).
# The validators go into .venv-tools/ (PyPI) on first use. Exit 3: the validators cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
repository=$(pwd)
fedsim=$(realpath "${1:-.build/release/fedsim}")
[ -x "$fedsim" ] || { echo "no fedsim executable at $fedsim" >&2; exit 2; }
venv=$repository/.venv-tools
if ! [ -x "$venv/bin/kubernetes-validate" ] || ! [ -x "$venv/bin/check-jsonschema" ]; then
  { python3 -m venv "$venv" && "$venv/bin/pip" install -q "check-jsonschema==0.39.0" "kubernetes-validate==1.37.0"; } >&2 \
    || { echo "cannot install the validators from PyPI" >&2; exit 3; }
fi

cd "${2:-$repository}"
echo "== docker-compose.yml"
if command -v docker-compose >/dev/null; then
  # docker-compose resolves the default bind-mount folders; make sure they exist in a copy.
  mkdir -p topologies runs
  docker-compose -f docker-compose.yml config -q
  FEDSIM_WORKERS=5 FEDSIM_TOPOLOGY=fedmm-label-split.yaml docker-compose -f docker-compose.yml config -q
  echo "docker-compose config: ok"
else
  echo "docker-compose is not installed: schema check only"
fi
"$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml

echo "== deploy/kubernetes"
"$venv/bin/kubernetes-validate" --strict --quiet deploy/kubernetes/*.yaml
echo "kubernetes schemas: ok"

echo "== consistency with the fedsim command line"
"$venv/bin/python" - "$fedsim" <<'PY'
import os, re, subprocess, sys, tempfile, yaml

fedsim = sys.argv[1]
problems = []

def flags_of(subcommand):
    text = subprocess.run([fedsim, subcommand, "--help"], capture_output=True, text=True).stdout
    return set(re.findall(r"--[a-z][a-z0-9-]*", text))

def check_command(where, args):
    subcommand = args[0]
    known = flags_of(subcommand)
    if not known:
        problems.append(f"{where}: '{subcommand}' is not a fedsim subcommand")
    for arg in args[1:]:
        if isinstance(arg, str) and arg.startswith("--") and arg not in known:
            problems.append(f"{where}: fedsim {subcommand} has no option {arg}")

def option(args, name):
    return args[args.index(name) + 1] if name in args else None

# docker-compose.yml: the commands and health checks of both services.
compose = yaml.safe_load(open("docker-compose.yml"))
for name, service in compose["services"].items():
    check_command(f"docker-compose.yml {name}", service["command"])
    check_command(f"docker-compose.yml {name} healthcheck", service["healthcheck"]["test"][2:])
coordinator_port = option(compose["services"]["coordinator"]["command"], "--bind").rsplit(":", 1)[1]
worker_target = option(compose["services"]["worker"]["command"], "--connect")
if worker_target != f"tcp://coordinator:{coordinator_port}":
    problems.append(f"docker-compose.yml: workers connect to {worker_target}, the coordinator binds port {coordinator_port}")

# Kubernetes: every container's args and probes, the Service port, the topology and the replicas.
documents = []
for file in sorted(os.listdir("deploy/kubernetes")):
    if file.endswith(".yaml"):
        documents += [(file, d) for d in yaml.safe_load_all(open(os.path.join("deploy/kubernetes", file))) if d]
by_kind = {}
for file, d in documents:
    by_kind.setdefault(d["kind"], []).append(d)
    spec = d.get("spec", {}).get("template", {}).get("spec", {})
    for container in spec.get("containers", []):
        check_command(f"{file} {container['name']}", container["args"])
        probe = container.get("livenessProbe", {}).get("exec", {}).get("command")
        if probe:
            check_command(f"{file} {container['name']} probe", probe[1:])
topology_text = by_kind["ConfigMap"][0]["data"]["topology.yaml"]
with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
    handle.write(topology_text)
result = subprocess.run([fedsim, "validate", handle.name], capture_output=True, text=True)
os.unlink(handle.name)
if result.returncode != 0:
    problems.append(f"topology-configmap.yaml: the topology does not validate: {result.stderr.strip()}")
topology = yaml.safe_load(topology_text)
replicas = by_kind["StatefulSet"][0]["spec"]["replicas"]
if topology["processes"]["workers"] != replicas:
    problems.append(f"processes.workers is {topology['processes']['workers']} but the StatefulSet has {replicas} replicas")
deployment_args = by_kind["Deployment"][0]["spec"]["template"]["spec"]["containers"][0]["args"]
bind_port = int(option(deployment_args, "--bind").rsplit(":", 1)[1])
service = next(s for s in by_kind["Service"] if s["metadata"]["name"] == "fedsim-coordinator")
if service["spec"]["ports"][0]["targetPort"] != bind_port:
    problems.append(f"the coordinator Service targets port {service['spec']['ports'][0]['targetPort']}, the coordinator binds {bind_port}")
worker_args = by_kind["StatefulSet"][0]["spec"]["template"]["spec"]["containers"][0]["args"]
if option(worker_args, "--connect") != f"tcp://{service['metadata']['name']}:{service['spec']['ports'][0]['port']}":
    problems.append(f"workers connect to {option(worker_args, '--connect')}, not the coordinator Service")

for problem in problems:
    print("error:", problem, file=sys.stderr)
if problems:
    sys.exit(1)
print("commands, ports, topology and replicas: ok")
PY
