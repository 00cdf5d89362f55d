#!/usr/bin/env bash
# Create .venv and install jitgrad with its dev tools and the optional extras the tests cover
# (distributed: mpi4py + Open MPI; hpsearch: Optuna); install Graphviz's `dot` and the
# Fashion-MNIST files (Debian's dataset-fashion-mnist, used by the demo and the course
# notebooks) when root or with sudo.
# Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${VENV:-.venv}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
apt_updated=0
apt_install() {
  command -v apt-get >/dev/null || return 1
  if [ $apt_updated = 0 ]; then as_root apt-get update -qq || return 1; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if [ ! -x "$VENV/bin/python" ]; then
  if ! "$PY" -m venv "$VENV" 2>/dev/null; then
    echo "python3 -m venv failed; installing python3-venv" >&2
    rm -rf "$VENV"
    apt_install python3-venv || { echo "please install python3-venv" >&2; exit 1; }
    "$PY" -m venv "$VENV"
  fi
fi
stamp="$VENV/.jitgrad-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  "$VENV/bin/python" -m pip install -q -e ".[dev,distributed,hpsearch]"
  touch "$stamp"
fi

if ! command -v dot >/dev/null; then
  apt_install graphviz || echo "note: Graphviz 'dot' not installed (pictures fall back to DOT text)" >&2
fi

if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  apt_install dataset-fashion-mnist || \
    echo "note: dataset-fashion-mnist not installed (the demo and notebooks use scikit-learn's digits)" >&2
fi

# PyTorch is optional: the parity tests use it when it is available locally (never a big download).
if [ "${JITGRAD_WITH_TORCH:-1}" = 1 ] && ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  if "$VENV/bin/python" -m pip install -q --no-deps --no-index torch==2.13.0 2>/dev/null; then
    "$VENV/bin/python" -m pip install -q torch==2.13.0 || true
  else
    echo "note: torch is not available offline here; PyTorch parity tests will be skipped" >&2
  fi
fi
