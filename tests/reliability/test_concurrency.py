"""Concurrency (issue 14): 8 threads x 500 steps that mix grad modes and kernel calls give
bit-for-bit the results of the same steps run in one thread.

Grad modes (``no_grad``, ``enable_grad``, ``inference_mode``, ``set_grad_enabled``) are
thread-local, so each thread sees only its own; kernels (activations, softmax, layer_norm,
cross-entropy, reductions, conv) hold no shared state between calls.
"""

import sys
import threading

import pytest

import autograd
import nn.functional as F

THREADS, STEPS = 8, 500


def _workload(seed, barrier=None):
    """One thread's steps; returns every result's bytes, in order."""
    g = autograd.Generator().manual_seed(seed)
    w = autograd.randn(16, 16, generator=g).requires_grad_()
    k = autograd.randn(2, 1, 3, 3, generator=g).requires_grad_()
    target = autograd.randint(0, 10, (8,), generator=g)
    out = []
    if barrier is not None:
        barrier.wait()  # all threads start together, so their steps interleave
    for step in range(STEPS):
        x = autograd.randn(8, 16, generator=g)
        mode = step % 5
        assert autograd.is_grad_enabled()
        if mode == 0:  # recording: forward and backward through fused kernels
            h = F.gelu(x @ w)
            loss = F.cross_entropy(h[:, :10], target) + F.softmax(h, -1).amax(-1).sum()
            loss.backward()
            out += [loss.detach().numpy().tobytes(), w.grad.numpy().tobytes()]
            w.grad = None
        elif mode == 1:  # no_grad: nothing recorded
            with autograd.no_grad():
                assert not autograd.is_grad_enabled()
                y = F.layer_norm(x @ w, (16,))
                assert not y.requires_grad and y.grad_fn is None
            out.append(y.numpy().tobytes())
        elif mode == 2:  # enable_grad inside no_grad records again
            with autograd.no_grad():
                with autograd.enable_grad():
                    assert autograd.is_grad_enabled()
                    y = F.conv2d(x.reshape(2, 1, 8, 8), k, padding=1).relu().sum()
                    assert y.requires_grad
                    y.backward()
                assert not autograd.is_grad_enabled()
            out += [y.detach().numpy().tobytes(), k.grad.numpy().tobytes()]
            k.grad = None
        elif mode == 3:  # inference mode
            with autograd.inference_mode():
                assert not autograd.is_grad_enabled()
                y = F.log_softmax(x @ w, -1).logsumexp(0)
                assert not y.requires_grad
            out.append(y.numpy().tobytes())
        else:  # set_grad_enabled(False) as a function, then back
            prev = autograd.set_grad_enabled(False)
            try:
                assert not autograd.is_grad_enabled()
                y = (x @ w).tanh().sum(0)
                assert not y.requires_grad
            finally:
                autograd.set_grad_enabled(True)
            out.append(y.numpy().tobytes())
            del prev
        assert autograd.is_grad_enabled()
    return out


@pytest.mark.timeout(600)
def test_threads_mixing_grad_modes_equal_single_threaded_runs():
    expected = [_workload(seed) for seed in range(THREADS)]
    results, errors = [None] * THREADS, []
    barrier = threading.Barrier(THREADS)

    def run(i):
        try:
            results[i] = _workload(i, barrier)
        except BaseException as e:  # reported below, with the thread that failed
            errors.append((i, e))
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(
        1e-5
    )  # switch threads every few bytecodes, inside ops and kernels' callers
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert not errors, errors
    for i in range(THREADS):
        assert len(results[i]) == len(expected[i])
        bad = [s for s, (a, b) in enumerate(zip(results[i], expected[i])) if a != b]
        assert not bad, f"thread {i}: results differ from the single-threaded run at {bad[:5]}"


def test_grad_mode_of_one_thread_does_not_leak_into_another():
    inside, seen = threading.Event(), {}

    def holder():
        with autograd.no_grad():
            inside.set()
            release.wait(5)

    release = threading.Event()
    t = threading.Thread(target=holder)
    t.start()
    inside.wait(5)
    seen["main"] = autograd.is_grad_enabled()
    y = autograd.ones(2, requires_grad=True) * 2
    release.set()
    t.join()
    assert seen["main"] and y.requires_grad
