"""autograd.kernels.buffers: large outputs reuse memory, never while anything can see it."""

import threading

import numpy as np
import pytest

import autograd
from autograd.kernels import buffers

BIG = (buffers.MIN_BYTES // 4 + 1024,)  # float32 elements: just above the threshold


@pytest.fixture(autouse=True)
def _fresh_pool():
    buffers.empty_cache()
    yield
    buffers.set_max_bytes(256 << 20)
    buffers.empty_cache()


def _addr(a):
    return a.__array_interface__["data"][0]


def test_kernel_buffers_reuse_a_dead_array():
    a = buffers.empty(BIG, np.float32)
    addr = _addr(a)
    del a
    b = buffers.empty(BIG, np.float32)
    assert _addr(b) == addr and b.shape == BIG and b.dtype == np.float32


@pytest.mark.parametrize("holder", ["array", "view", "tensor", "numpy_of_tensor", "memoryview"])
def test_kernel_buffers_never_hand_out_memory_in_use(holder):
    def holding(arr):  # something other than the name ``a`` that keeps the memory visible
        return {
            "array": lambda: arr,
            "view": lambda: arr[::2],
            "tensor": lambda: autograd.Tensor._make(arr),
            "numpy_of_tensor": lambda: autograd.Tensor._make(arr).numpy(),
            "memoryview": lambda: memoryview(arr),
        }[holder]()

    a = buffers.empty(BIG, np.float32)
    a[:4] = 7.0
    keep = holding(a)
    del a
    b = buffers.empty(BIG, np.float32)
    b[:] = 0.0
    seen = np.asarray(keep._data if isinstance(keep, autograd.Tensor) else keep)
    assert seen.ravel()[0] == 7.0


def test_kernel_buffers_small_or_other_shapes_are_separate():
    small = buffers.empty((1000,), np.float32)
    assert buffers.kept_bytes() == 0 and small.shape == (1000,)
    a = buffers.empty(BIG, np.float32)
    addr = _addr(a)
    del a
    b = buffers.empty((BIG[0] // 2, 2), np.float32)  # same bytes, other shape: not reused
    assert _addr(b) != addr and b.shape == (BIG[0] // 2, 2)


def test_kernel_buffers_limit_and_empty_cache():
    buffers.set_max_bytes(0)
    a = buffers.empty(BIG, np.float32)
    assert buffers.kept_bytes() == 0
    buffers.set_max_bytes(a.nbytes)  # room for one array
    x, y = buffers.empty(BIG, np.float32), buffers.empty(BIG, np.float32)
    assert buffers.kept_bytes() == x.nbytes  # the older one stopped being tracked
    buffers.empty_cache()
    assert buffers.kept_bytes() == 0
    with pytest.raises(ValueError, match="set_max_bytes"):
        buffers.set_max_bytes(-1)
    del x, y


def test_kernel_buffers_keep_at_most_max_kept_arrays(monkeypatch):
    monkeypatch.setattr(buffers, "MAX_KEPT", 2)
    arrays = [buffers.empty(BIG, np.float32) for _ in range(3)]
    assert buffers.kept_bytes() == 2 * arrays[0].nbytes  # the oldest stopped being tracked
    del arrays[1]
    again = buffers.empty(BIG, np.float32)  # a tracked dead array is still handed out
    assert any(again is a for a in buffers._kept) and buffers.kept_bytes() == 2 * again.nbytes


def test_kernel_buffers_threads_get_distinct_memory():
    got, barrier = [], threading.Barrier(4)

    def work():
        barrier.wait()
        for _ in range(20):
            a = buffers.empty(BIG, np.float32)
            a[:1] = threading.get_ident()
            got.append(a)  # all kept alive: every one must be distinct memory

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({_addr(a) for a in got}) == len(got)


@pytest.mark.needs_jit  # 8M elements: minutes as plain Python under NUMBA_DISABLE_JIT=1
def test_kernel_activation_outputs_reuse_memory_only_when_dead():
    x = np.linspace(-3, 3, BIG[0], dtype=np.float32)
    y1 = autograd.kernels.run_activation("sigmoid", x)
    y2 = autograd.kernels.run_activation("sigmoid", x)
    assert not np.shares_memory(y1, y2)
    np.testing.assert_array_equal(y1, y2)
    addr = _addr(y1)
    del y1
    y3 = autograd.kernels.run_activation("sigmoid", x)
    assert _addr(y3) == addr
    np.testing.assert_array_equal(y3, y2)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_kernel_buffers_work_in_a_child_forked_while_another_thread_holds_the_lock():
    import os

    holding, release = threading.Event(), threading.Event()

    def hold():
        with buffers._lock:
            holding.set()
            release.wait(5)

    t = threading.Thread(target=hold)
    t.start()
    holding.wait(5)
    pid = os.fork()
    if pid == 0:  # the child: the holding thread does not exist here
        try:
            a = buffers.empty(BIG, np.float32)  # waited forever on the copied lock before
            os._exit(0 if a.shape == BIG else 1)
        finally:
            os._exit(2)
    release.set()
    t.join()
    for _ in range(100):  # at most 10 s
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        threading.Event().wait(0.1)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("the forked child hung in buffers.empty")
    assert os.waitstatus_to_exitcode(status) == 0
