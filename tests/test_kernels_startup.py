"""Start-up behaviour of the kernel layer: ``import`` stays cheap, the on-disk kernel cache
survives between processes, and ``warmup()`` covers the optimizer kernels.

Each check runs in a fresh interpreter (``sys.modules`` of the test process is full).
"""

import json

import numpy as np
import pytest

numba = pytest.importorskip("numba")


def _json(process) -> dict:
    """The JSON line a child process printed last."""
    return json.loads(process.stdout.strip().splitlines()[-1])


def test_import_does_not_load_numba_scipy_or_matplotlib(fresh_python):
    out = _json(
        fresh_python(
            "import sys, json, autograd, nn, optim\n"
            "heavy = ('numba', 'scipy', 'matplotlib', 'torch')\n"
            "print(json.dumps({'loaded': [m for m in heavy if m in sys.modules]}))"
        )
    )
    assert out["loaded"] == []


def test_kernel_layer_does_not_import_scipy_linalg(fresh_python):
    """Numba's BLAS probe would import scipy.linalg (~0.5 s); the kernels skip it, and a
    kernel still runs."""
    out = _json(
        fresh_python(
            "import sys, json, numpy as np\n"
            "from autograd.kernels import optim as K\n"
            "p = np.ones(3, np.float32)\n"
            "K.sgd_update(p, np.ones(3, np.float32), 0.5, 0.0, False)\n"
            "print(json.dumps({'linalg': 'scipy.linalg' in sys.modules,"
            " 'p': p.tolist()}))"
        )
    )
    assert out == {"linalg": False, "p": [0.5, 0.5, 0.5]}


@pytest.mark.needs_jit
@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="no compiled code to cache without the JIT")
def test_kernel_cache_in_numba_cache_dir_survives_a_restart(tmp_path, fresh_python):
    """With NUMBA_CACHE_DIR set, the second process loads the kernel from disk (an earlier
    bug put the stale-cache stamp in a different place each time and wiped the cache)."""
    code = (
        "import json, numpy as np\n"
        "from autograd.kernels import optim as K\n"
        "p = np.ones(5)\n"
        "K.sgd_update(p, np.ones(5), 0.5, 0.0, False)\n"
        "d = K.sgd_update.serial\n"
        "print(json.dumps({'hits': sum(d.stats.cache_hits.values()),"
        " 'misses': sum(d.stats.cache_misses.values()), 'p': p.tolist()}))"
    )
    env = {"NUMBA_CACHE_DIR": str(tmp_path)}
    first = _json(fresh_python(code, env=env))
    second = _json(fresh_python(code, env=env))
    assert first["hits"] == 0 and first["misses"] == 1
    assert second["hits"] == 1 and second["misses"] == 0
    assert first["p"] == second["p"] == [0.5] * 5


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_optimizer_kernels_warmup_runs(dtype):
    from autograd.kernels import optim as K

    K.warmup(dtype)
    p = np.ones(3, dtype)
    K.adagrad_update(p, np.ones(3, dtype), np.zeros(3, dtype), 0.1, 0.0, 0.0, False)
    np.testing.assert_array_equal(p, np.full(3, 0.9, dtype))


def test_kernel_layer_start_leaves_no_resource_warning(fresh_python):
    """The stale-cache stamp was read with a bare ``open(...).read()``: with warnings shown
    (a notebook, ``-W always``) every start printed a ResourceWarning for the unclosed file."""
    for _ in range(2):  # the second start reads the stamp the first one wrote
        res = fresh_python("import autograd.kernels, gc; gc.collect()", "-W", "always")
        assert "ResourceWarning" not in res.stderr, res.stderr[-2000:]
