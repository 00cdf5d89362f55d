#!/usr/bin/env bash
# Run a script on several processes with the mpirun that `pip install -e ".[distributed]"`
# put into .venv (adds --allow-run-as-root as root, --oversubscribe on one machine):
#   bash scripts/mpirun.sh -n 4 examples/ddp_fashion_mnist.py --epochs 2
#   bash scripts/mpirun.sh --hostfile hosts -n 8 examples/ddp_fashion_mnist.py
# The logic is in autograd/distributed/run.py (python -m autograd.distributed.run ... is the same).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  if [ -x "$ROOT/.venv/bin/python" ]; then PY="$ROOT/.venv/bin/python"; else PY=python3; fi
fi
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
exec "$PY" -m autograd.distributed.run "$@"
