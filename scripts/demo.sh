#!/usr/bin/env bash
# Set up (if needed) and run the main demo: train a small model end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
JITGRAD_WITH_TORCH=0 bash scripts/setup.sh   # also installs Fashion-MNIST when it can
exec .venv/bin/python examples/demo.py "$@"
