"""Memory (issue 14): training does not leak, and a 10**6-op graph is no problem.

Both run in a fresh interpreter, so that the measurement sees only this work and the
recursion limit is Python's default.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest


def _run(code, timeout):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


TRAINING = """
    import gc, json
    import numpy as np
    import autograd, nn, optim
    import nn.functional as F

    def rss_kb():
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))

    autograd.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.1), nn.Linear(128, 128),
                          nn.GELU(), nn.LayerNorm(128), nn.Linear(128, 10))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    xs = [autograd.tensor(rng.normal(size=(64, 64)).astype(np.float32)) for _ in range(10)]
    ys = [autograd.tensor(rng.integers(0, 10, 64)) for _ in range(10)]

    def step(i):
        opt.zero_grad()
        loss = F.cross_entropy(model(xs[i % 10]), ys[i % 10])
        loss.backward()
        opt.step()
        return loss.item()

    def live_tensors():
        return sum(isinstance(o, autograd.Tensor) for o in gc.get_objects())

    for i in range(50):  # warm-up: kernels compiled, buffers and allocator pools settled
        step(i)
    gc.collect()
    before, tensors = rss_kb(), live_tensors()
    losses = [step(i) for i in range(300)]
    gc.collect()
    print(json.dumps({"growth_kb": rss_kb() - before, "new_tensors": live_tensors() - tensors,
                      "first": losses[0], "last": losses[-1]}))
"""


@pytest.mark.timeout(300)
def test_300_training_steps_do_not_grow_memory():
    res = _run(TRAINING, timeout=280)
    assert res["growth_kb"] < 5 * 1024 and res["new_tensors"] == 0, res
    assert res["last"] < res["first"]  # it did train


CHAIN = """
    import json, sys
    import autograd
    x = autograd.tensor(1.5, requires_grad=True)
    y = x
    for _ in range(10**6):
        y = -y
    y.backward()
    print(json.dumps({"grad": x.grad.item(), "limit": sys.getrecursionlimit()}))
"""


@pytest.mark.slow  # ~10 s and ~0.6 GB: the size the issue asks for (the engine has no recursion)
@pytest.mark.timeout(600)
def test_backward_through_a_million_op_chain_at_the_default_recursion_limit():
    res = _run(CHAIN, timeout=580)
    assert res == {"grad": 1.0, "limit": 1000}
