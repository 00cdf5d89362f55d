#!/usr/bin/env bash
# Set up (if needed) and run the main demo: train a small model end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
JITGRAD_WITH_TORCH=0 bash scripts/setup.sh
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] && [ "$(id -u)" = 0 ] \
   && command -v apt-get >/dev/null; then
  (apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 || \
   (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1)) || \
   echo "note: dataset-fashion-mnist not installable; the demo will use scikit-learn's digits" >&2
fi
exec .venv/bin/python examples/demo.py "$@"
