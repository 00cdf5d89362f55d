#!/usr/bin/env bash
# Execute the course notebooks and write HTML pages under out/course/ (index: out/course/index.html).
# Arguments go to scripts/course_html.py: names to filter, --lang en|ja, --ci (shortened runs).
set -euo pipefail
cd "$(dirname "$0")/.."
JITGRAD_WITH_TORCH=0 bash scripts/setup.sh   # .venv with nbconvert; Graphviz, Fashion-MNIST
exec .venv/bin/python scripts/course_html.py "$@"
