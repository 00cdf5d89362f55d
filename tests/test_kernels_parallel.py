"""The kernels' parallel builds (``autograd.kernels.set_num_threads(2)``) give the serial
builds' results bit for bit, and the kernel-thread default is what the docs say.

Every kernel parallelises over independent elements or rows (``prange``); each element or
row is computed by one thread in the serial order of operations, so the results must be
identical, not merely close. ``PARALLEL_MIN_SIZE`` (read at each call) is lowered to 0 so
that small, odd-sized inputs reach the parallel builds.
"""

import json
import os
import threading

import numpy as np
import pytest

pytest.importorskip("numba")

import autograd
import nn
import nn.functional as F
import optim
from autograd.kernels import parallel

needs_jit = pytest.mark.needs_jit  # (as plain Python there is no parallel build)


def _grads(out, *inputs):
    """``out`` and the gradients of ``(out * weights).sum()`` (weights fixed, so each
    backward kernel sees a non-trivial upstream gradient)."""
    weights = np.linspace(-1.5, 2.0, out.numel()).reshape(out.shape)
    w = autograd.tensor(weights.astype(out.detach().numpy().dtype))
    (out * w).sum().backward()
    return [out.detach().numpy().copy()] + [x.grad.numpy().copy() for x in inputs]


def _battery(dtype):
    """Forward and backward of every family of kernels, on odd shapes, as numpy arrays."""
    rng = np.random.default_rng(7)

    def t(*shape, scale=1.0):
        return autograd.tensor(
            (rng.standard_normal(shape) * scale).astype(dtype), requires_grad=True
        )

    res = []
    acts = [
        F.relu,
        lambda x: F.leaky_relu(x, 0.03),
        F.elu,
        F.sigmoid,
        F.tanh,
        F.silu,
        F.softplus,
        F.mish,
        lambda x: F.gelu(x, approximate="tanh"),
        F.gelu,
    ]
    for act in acts:
        x = t(37, 29, scale=3.0)
        res += _grads(act(x), x)
        x = t(29, 37, scale=3.0)  # non-contiguous input
        res += _grads(act(x.t()), x)
    from autograd.kernels import activation as A

    for name in A.ACTIVATIONS:  # every forward and backward kernel, as the ops call them
        x = (rng.standard_normal((29, 37)) * 3).astype(dtype).T  # (non-contiguous)
        g = rng.standard_normal((37, 29)).astype(dtype)
        res += [A.run_activation(name, x), A.run_activation_backward(name, x, g)]
    x, w, b = t(13, 17), t(23, 17), t(23)
    res += _grads(F.linear(x, w, b), x, w, b)
    scores = t(3, 11, 11)
    causal = autograd.tensor(np.triu(np.ones((11, 11), bool), 1))
    res += _grads(F.softmax(scores.masked_fill(causal, float("-inf")), -1), scores)
    x, w, b = t(3, 5, 9, 7), t(4, 5, 3, 3), t(4)
    res += _grads(F.conv2d(x, w, b, padding=1), x, w, b)
    x, w, b = t(7, 3, 19), t(19), t(19)
    res += _grads(F.layer_norm(x, (19,), w, b), x, w, b)
    for shape in [(9, 5), (9, 5, 7)]:
        x, w, b = t(*shape), t(5), t(5)
        m, v = autograd.zeros(5, dtype=x.dtype), autograd.ones(5, dtype=x.dtype)
        res += _grads(F.batch_norm(x, m, v, w, b, training=True), x, w, b)
        res += [m.numpy().copy(), v.numpy().copy()]
        x = t(*shape)
        res += _grads(F.batch_norm(x, m, v, w, b, training=False), x)
    for kw in [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)]:
        x = t(2, 3, 11, 9)
        res += _grads(F.max_pool2d(x, **kw), x)
    for dim in (-1, 0):  # (along dim 0, 17 columns take the column kernels)
        x = t(13, 17)
        res += _grads(x.sum(dim), x)
        for op in (autograd.amax, autograd.amin, autograd.logsumexp):
            x = t(13, 17)
            res += _grads(op(x, dim), x)
        x = t(13, 17)
        values, idx = x.max(dim)
        res += _grads(values, x) + [idx.numpy(), x.detach().argmin(dim).numpy()]
        for op in (F.softmax, F.log_softmax):
            x = t(13, 17)
            res += _grads(op(x, dim), x)
    x = t(13, 11)
    target = autograd.tensor(rng.integers(0, 11, 13))
    res += _grads(F.cross_entropy(x, target), x)
    for cls, kw in [(nn.RNN, {}), (nn.RNN, {"nonlinearity": "relu"}), (nn.GRU, {}), (nn.LSTM, {})]:
        autograd.manual_seed(0)
        layer = cls(5, 7, batch_first=True, **kw).to(getattr(autograd, np.dtype(dtype).name))
        x = t(3, 4, 5)
        res += _grads(layer(x)[0], x, *layer.parameters())
    for name, kw in [
        ("Adam", {}),
        ("Adam", {"amsgrad": True}),
        ("SGD", {}),
        ("SGD", {"momentum": 0.9}),
        ("RMSprop", {}),
        ("RMSprop", {"momentum": 0.9}),
        ("RMSprop", {"centered": True}),
        ("RMSprop", {"centered": True, "momentum": 0.9}),
        ("Adagrad", {}),
    ]:
        p = t(31, 7)
        opt = getattr(optim, name)([p], lr=0.01, **kw)
        for _ in range(2):
            p.grad = autograd.tensor(rng.standard_normal((31, 7)).astype(dtype))
            opt.step()
        res.append(p.detach().numpy().copy())
    return res


@needs_jit
@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("AUTOGRAD_TEST_PARALLEL_BUILDS"),
    reason="set AUTOGRAD_TEST_PARALLEL_BUILDS=1: loads (cold: compiles, seconds each) the "
    "parallel build of ~60 kernels per dtype; tests/test_kernels.py, test_optim_fused.py, "
    "test_kernels_softmax.py and test_kernels_norm.py check one of each family in every run",
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_parallel_builds_match_serial_bit_for_bit(dtype, monkeypatch):
    """Every family's parallel builds (75 of the 77 kernels with a ``prange``; not
    ``bias_gelu_erf_fwd_grad``, called by the compiler's fused steps only, and
    ``gather_flat``, by max pooling's forward-mode derivative) against the serial ones, on
    odd shapes, contiguous and transposed inputs."""
    serial = _battery(dtype)
    used = set()
    build = parallel.Kernel.parallel

    def recorded(self):
        used.add(self.__name__)
        return build(self)

    monkeypatch.setattr(parallel.Kernel, "parallel", recorded)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_SIZE", 0)
    old = parallel.get_num_threads()
    parallel.set_num_threads(2)
    try:
        par = _battery(dtype)
    finally:
        parallel.set_num_threads(old)
    assert len(par) == len(serial)
    for i, (a, b) in enumerate(zip(serial, par)):
        np.testing.assert_array_equal(b, a, err_msg=f"result {i}")
    assert len(used) >= 75, sorted(used)  # the battery reached the parallel builds


def test_kernel_threads_default_and_environment_variable(fresh_python):
    code = (
        "import json, warnings\n"
        "warnings.simplefilter('always')\n"
        "from autograd.kernels import parallel\n"
        "print(json.dumps(parallel.get_num_threads()))"
    )
    default = fresh_python(code, env={"AUTOGRAD_NUM_THREADS": ""})
    assert json.loads(default.stdout.strip().splitlines()[-1]) == 1  # serial unless asked
    two = fresh_python(code, env={"AUTOGRAD_NUM_THREADS": "2"})
    assert json.loads(two.stdout.strip().splitlines()[-1]) == 2
    bad = fresh_python(code, env={"AUTOGRAD_NUM_THREADS": "two"})
    assert json.loads(bad.stdout.strip().splitlines()[-1]) == 1
    assert "AUTOGRAD_NUM_THREADS='two' is not a positive integer" in bad.stderr


class _Gelu:
    """A dataset whose items run a kernel (in the DataLoader's worker processes)."""

    def __init__(self, x):
        self.x = x

    def __len__(self):
        return 4

    def __getitem__(self, i):
        from autograd import kernels

        return kernels.get_num_threads(), kernels.run_activation("gelu_tanh", self.x + i)


@needs_jit
def test_dataloader_workers_after_a_parallel_call_are_serial_and_agree(monkeypatch):
    """Workers forked after the parent used the parallel build (its thread pool running):
    they run serially (no pool in a forked child) and give the parent's results; two
    Python threads calling the kernel at once give them too (a busy lock: serial build)."""
    from autograd import kernels
    from autograd.utils.data import DataLoader

    x = np.random.default_rng(1).normal(size=2001).astype(np.float32)
    expected = [kernels.run_activation("gelu_tanh", x + i) for i in range(4)]
    monkeypatch.setattr(parallel, "PARALLEL_MIN_SIZE", 1000)
    old = parallel.get_num_threads()
    parallel.set_num_threads(2)
    try:
        np.testing.assert_array_equal(kernels.run_activation("gelu_tanh", x), expected[0])
        got = {}

        def call(i):
            got[i] = kernels.run_activation("gelu_tanh", x + i)

        threads = [threading.Thread(target=call, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for i in range(4):
            np.testing.assert_array_equal(got[i], expected[i])
        loader = DataLoader(_Gelu(x), batch_size=None, num_workers=2)
        items = list(loader)
    finally:
        parallel.set_num_threads(old)
    assert [int(n) for n, _ in items] == [1, 1, 1, 1]
    for (_, y), e in zip(items, expected):
        np.testing.assert_array_equal(np.asarray(y), e)
