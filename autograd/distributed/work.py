"""Waiting for collectives: ``Work`` (the handle of one in flight), the timeout, and the thread
that moves non-blocking collectives along while the main thread computes."""

from __future__ import annotations

import atexit
import threading
import time
from datetime import timedelta


from .process_group import DistBackendError, ProcessGroup, _default_group, _mpi


# ---- waiting with a timeout -------------------------------------------------------------
# A collective finishes only after every rank has started it, possibly much later (it may
# still be computing). Test() is cheap and also lets MPI move a non-blocking collective
# along, so we poll: spinning first (fast collectives finish within microseconds), then
# sleeping in growing naps, so a waiting rank does not take a core from the ranks it waits for.
_SPIN_SECONDS = 2e-4
_MAX_NAP = 5e-4


def _wait_requests(requests, timeout: timedelta, what: str, g: ProcessGroup, statuses=None) -> None:
    MPI = _mpi()
    if MPI.Request.Testall(requests, statuses):
        return
    start = time.monotonic()
    deadline = start + timeout.total_seconds()
    nap = 1e-5
    while not MPI.Request.Testall(requests, statuses):
        now = time.monotonic()
        if now > deadline:
            raise DistBackendError(
                f"{what} timed out after {timeout.total_seconds():g} s on rank "
                f"{_default_group().rank()} (group of {g.size()} ranks): another rank did not "
                "join it. Did a rank fail, skip this call, or call collectives in a different "
                "order? (the timeout is init_process_group's timeout=)"
            )
        if now - start > _SPIN_SECONDS:
            time.sleep(nap)
            nap = min(nap * 2, _MAX_NAP)


class Work:
    """A collective in flight (``async_op=True``): ``wait()`` returns once its result is in
    the tensors. ``is_completed()`` checks without blocking."""

    def __init__(self, requests, what, g, finish=None):
        self._requests = list(requests)
        self._statuses = [_mpi().Status() for _ in self._requests] if self._requests else None
        self._what = what
        self._group = g
        self._finish = finish
        self._arrived = not self._requests  # MPI is done with the buffers
        self._lock = threading.Lock()  # one thread at a time touches the MPI requests
        self._done = False  # ... and the result is in the tensors
        self._result = None

    def _test(self) -> bool:
        """Let MPI progress; True once the transfer is complete (caller holds the lock)."""
        if not self._arrived and _mpi().Request.Testall(self._requests, self._statuses):
            self._arrived = True
        return self._arrived

    def _complete(self):
        if not self._done:
            self._done = True
            if self._finish is not None:
                self._result = self._finish()

    def is_completed(self) -> bool:
        with self._lock:
            if self._test():
                self._complete()
        return self._done

    def is_success(self) -> bool:
        return self.is_completed()

    def wait(self, timeout: timedelta | None = None) -> bool:
        with self._lock:
            if not self._arrived:
                _wait_requests(
                    self._requests,
                    timeout or self._group._timeout,
                    self._what,
                    self._group,
                    self._statuses,
                )
                self._arrived = True
            self._complete()
        return True

    def result(self):
        self.wait()
        return self._result


class _Done(Work):
    """The handle of a call that had nothing to do (a rank outside the group)."""

    def __init__(self):
        super().__init__([], "nothing", None)
        self._done = True


class _Progress:
    """Keeps non-blocking collectives moving while the main thread computes.

    Open MPI advances a non-blocking collective only inside MPI calls made by the program
    (it has no progress thread of its own). An all-reduce started during backward would
    otherwise sit still until ``wait()``, and nothing would overlap. This daemon thread
    calls ``MPI_Testall`` on the in-flight ``Work``s every ~0.1 ms; it holds the GIL only for
    those calls, and NumPy releases the GIL inside its big kernels (matmul), so the polls
    land while backward computes. A ``Work`` being waited for is skipped (its lock is taken):
    the waiting thread polls it itself. MPI runs with MPI_THREAD_MULTIPLE (mpi4py's default).
    """

    _POLL_SECONDS = 1e-4

    def __init__(self):
        self._cv = threading.Condition()
        self._works = []
        self._thread = None
        self._polling = threading.Lock()  # held while the thread is inside MPI

    def add(self, work: Work) -> None:
        with self._cv:
            self._works.append(work)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="autograd.distributed progress", daemon=True
                )
                self._thread.start()
            self._cv.notify()

    def stop(self) -> None:
        """Forget the in-flight work and return once the thread is out of MPI: MPI_Finalize
        and MPI_Abort must not run while another thread is inside an MPI call."""
        with self._cv:
            self._works = []
        with self._polling:  # waits for a poll in progress (a few microseconds)
            pass

    def _run(self):
        while True:
            with self._cv:
                while not self._works:
                    self._cv.wait()
                works = list(self._works)
            finished = []
            with self._polling:
                with self._cv:  # stop() may have run since the list was copied
                    if not self._works:
                        continue
                for w in works:
                    if w._lock.acquire(blocking=False):
                        try:
                            if w._test():
                                finished.append(w)
                        finally:
                            w._lock.release()
            with self._cv:
                self._works = [w for w in self._works if w not in finished]
            time.sleep(self._POLL_SECONDS)


_progress = _Progress()
atexit.register(_progress.stop)


def _run(requests, what, g, async_op, finish=None):
    work = Work(requests, what, g, finish)
    if async_op:
        _progress.add(work)
        return work
    work.wait()
    return None
