#!/usr/bin/env bash
# Set up (if needed), lint, and run the whole test suite: unit and property tests, then the course
# notebooks once (default backend: numba); then the tests again on the NumPy reference
# backend (not the notebooks: they would double their minutes while testing no op that the
# tests do not already run on both backends); then the
# Numba-kernel tests with NUMBA_DISABLE_JIT=1 (kernels run as Python, so their source is
# checked line by line, not only their compiled form).
# Extra arguments go to a single pytest run instead (e.g. bash scripts/test.sh -k engine).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ "$#" -gt 0 ]; then
  exec .venv/bin/python -m pytest "$@"
fi
echo "--- lint and format check (ruff) and type checks (mypy on the public modules listed in pyproject.toml) ---"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
# Two workers (-n 2: CI has 2 cores); worksteal keeps both busy until the end.
PAR=(-n "${JOBS:-2}" --dist worksteal)
.venv/bin/python -m pytest "${PAR[@]}" tests
echo "--- the course notebooks (nbmake; shortened runs: CI=1 unless CI is set) ---"
CI=${CI:-1} .venv/bin/python -m pytest "${PAR[@]}" notebooks
echo "--- the unit and property tests again on the numpy (reference) backend ---"
AUTOGRAD_BACKEND=numpy .venv/bin/python -m pytest "${PAR[@]}" -p no:cacheprovider tests
echo "--- kernels again with NUMBA_DISABLE_JIT=1 ---"
NUMBA_DISABLE_JIT=1 .venv/bin/python -m pytest "${PAR[@]}" -p no:cacheprovider -m "not needs_jit" \
  tests/test_kernels*.py tests/test_optim_fused.py tests/test_ops_registry.py -k "kernel or vexp or verf or derived or fused or numba or parallel or maxpool"
