"""autograd.set_num_threads / get_num_threads (torch's names, messages and behaviour).

Each check runs in a fresh interpreter: the limits are process-wide (BLAS, Numba)."""

import json

import pytest

import autograd

pytest.importorskip("threadpoolctl")


def test_set_num_threads_limits_blas_and_kernels(fresh_python):
    res = fresh_python(
        "import json, numpy, autograd\n"
        "from threadpoolctl import threadpool_info\n"
        "from autograd import kernels\n"
        "def blas(): return sorted({p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas'})\n"
        "before = autograd.get_num_threads()\n"
        "autograd.set_num_threads(1)\n"
        "one = [autograd.get_num_threads(), blas(), kernels.get_num_threads()]\n"
        "autograd.set_num_threads(2)\n"
        "two = [autograd.get_num_threads(), blas(), kernels.get_num_threads()]\n"
        "x = autograd.randn(64, 64)\n"
        "print(json.dumps({'before': before, 'one': one, 'two': two,"
        " 'mm': float((x @ x).sum().item())}))"
    )
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["before"] >= 1
    assert out["one"] == [1, [1], 1]
    assert out["two"] == [2, [2], 2]


@pytest.mark.parametrize(
    "bad, message",
    [
        (0, "set_num_threads expects a positive integer"),
        (-3, "set_num_threads expects a positive integer"),
        (1.5, "set_num_threads expects an int, but got float"),
    ],
)
def test_set_num_threads_rejects_what_torch_rejects(bad, message):
    with pytest.raises(RuntimeError, match=message):
        autograd.set_num_threads(bad)
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match=message):
        torch.set_num_threads(bad)
