"""Run each PyTorch-style script of this folder unmodified under ``python -m autograd.compat``
and, when PyTorch is installed, under real torch too; their final losses must agree within
a factor of 2 (same data and seeds, different random streams and kernels).

Each script prints ``final_loss=<number>`` last. BLAS runs single-threaded in both runs
(the machine is shared; multi-threaded BLAS only adds waiting on tiny matrices).
"""

import math
import os
import pathlib
import re
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCRIPTS = sorted(p.name for p in HERE.glob("*.py") if not p.name.startswith("test_"))
ENV = {
    **os.environ,
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONPATH": os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    ),
}


def _torch_available():
    try:
        import torch  # noqa: F401

        return True
    except ImportError:
        return False


def run(script, work_dir, *, jitgrad):
    cmd = (
        [sys.executable]
        + (["-m", "autograd.compat"] if jitgrad else [])
        + [str(HERE / script), "--work-dir", str(work_dir)]
    )
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=ENV, cwd=work_dir)
    assert out.returncode == 0, (
        f"{' '.join(cmd)} failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}"
    )
    m = re.search(r"^final_loss=([-+0-9.eEinfa]+)$", out.stdout, re.M)
    assert m, out.stdout[-2000:]
    loss = float(m.group(1))
    assert math.isfinite(loss)
    return loss, out


@pytest.mark.slow  # two training runs (jitgrad and torch) of a few seconds each
@pytest.mark.parametrize("script", SCRIPTS)
def test_script_runs_on_jitgrad_and_matches_torch(script, tmp_path):
    (tmp_path / "jitgrad").mkdir()
    ours, out = run(script, tmp_path / "jitgrad", jitgrad=True)
    assert "not supported by jitgrad" not in out.stderr
    if not _torch_available():
        pytest.skip("PyTorch is not installed: ran on jitgrad only")
    (tmp_path / "torch").mkdir()
    theirs, _ = run(script, tmp_path / "torch", jitgrad=False)
    assert 0.5 <= ours / theirs <= 2.0, f"final loss {ours} on jitgrad vs {theirs} on torch"
