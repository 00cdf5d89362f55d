import os
import subprocess
import sys

import numpy as np
import pytest

from hypothesis import settings

# JIT compilation makes first calls slow: no per-example deadline; keep runs short for CI.
settings.register_profile("jitgrad", deadline=None, max_examples=30)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "jitgrad"))


@pytest.fixture(scope="session", autouse=True)
def _single_threaded_blas():
    """Tests use small matrices, where BLAS threads only add contention (and CI may run two
    test processes on two cores): one BLAS thread for the whole session."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(scope="module")
def torch_one_thread():
    """For modules that call torch many times on tiny tensors: torch's intra-op thread pool
    makes each call take ~0.5 s on a busy 2-core CI box; one thread keeps the file at a few
    seconds. Restored afterwards. (``pytestmark = pytest.mark.usefixtures(...)``.)"""
    try:
        import torch
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def fresh_python():
    """Run code in a new interpreter, with this checkout first on its path, for what depends
    on a process's first imports or its process-wide settings: ``fresh_python(code, *flags,
    env=None)`` checks that it exits with 0 and returns the finished process (``.stdout``)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    def run(code, *flags, env=None):
        path = root + os.pathsep + os.environ.get("PYTHONPATH", "")
        environ = dict(os.environ, PYTHONPATH=path, **(env or {}))
        res = subprocess.run(
            [sys.executable, *flags, "-c", code],
            capture_output=True,
            text=True,
            env=environ,
            cwd=root,
            timeout=600,
        )
        assert res.returncode == 0, res.stderr[-3000:]
        return res

    return run


@pytest.fixture
def stepping_optimizers():
    """The names of the optimizers that step on dense gradients without a closure (every
    ``optim.Optimizer`` subclass but LBFGS and SparseAdam)."""
    import optim

    return [
        name
        for name in optim.__all__
        if isinstance(getattr(optim, name), type)
        and issubclass(getattr(optim, name), optim.Optimizer)
        and name not in ("Optimizer", "LBFGS", "SparseAdam")
    ]


@pytest.fixture
def twice_function():
    """Makes ``Twice``, a custom ``autograd.Function`` computing ``2 * x`` (backward ``2 * g``):
    ``twice_function()``, or ``twice_function(record)`` whose backward hands the array of the
    gradient it returns to ``record`` (to check what the engine does with that array)."""
    import autograd

    def make(record=None):
        class Twice(autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                out = g * 2
                if record is not None:
                    record(out._data)
                return out

        return Twice

    return make


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _seed():
    import autograd

    autograd.manual_seed(0)
    yield


@pytest.fixture(autouse=True)
def _no_runtime_warnings():
    """NumPy RuntimeWarnings (overflow, invalid value ...) must never escape an op."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield
