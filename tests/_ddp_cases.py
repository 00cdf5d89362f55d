"""Training cases shared by the 2-rank MPI run (``python tests/_ddp_cases.py OUTDIR`` under
mpirun, started by tests/test_distributed.py) and the single-process references that the
test computes itself. Each rank saves its results to OUTDIR/rank<r>.npz (no pickle)."""

from __future__ import annotations

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import autograd
import nn
import nn.functional as F
import optim

WORLD = 2
PER_RANK = 4  # samples per rank and step
STEPS = 4
MICRO = 3  # micro-batches per step in the no_sync case


class TwoHeads(nn.Module):
    """A trunk and three heads: each rank uses a different head; ``spare`` is never used."""

    def __init__(self):
        super().__init__()
        self.trunk = nn.Linear(6, 8)
        self.head_a = nn.Linear(8, 3)
        self.head_b = nn.Linear(8, 3)
        self.spare = nn.Linear(8, 3)

    def forward(self, x, use_b: bool):
        h = self.trunk(x).tanh()
        return self.head_b(h) if use_b else self.head_a(h)


def make_model(kind: str, dtype, seed: int):
    autograd.manual_seed(seed)
    if kind == "mlp":
        m = nn.Sequential(
            nn.Linear(6, 32), nn.Tanh(), nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 3)
        )
    elif kind == "cnn":
        m = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
    elif kind == "bn":
        m = nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.Tanh(), nn.Linear(16, 3))
    elif kind == "syncbn":
        m = nn.SyncBatchNorm.convert_sync_batchnorm(make_model("bn", dtype, seed))
    elif kind == "heads":
        m = TwoHeads()
    else:
        raise ValueError(kind)
    return m.to(dtype)


def make_opt(kind: str, params):
    return optim.SGD(params, lr=0.1, momentum=0.9) if kind == "sgd" else optim.Adam(params, lr=1e-2)


def data(kind: str, dtype, steps=STEPS, per_step=WORLD * PER_RANK):
    rng = np.random.default_rng(7)
    shape = (steps, per_step, 1, 6, 6) if kind == "cnn" else (steps, per_step, 6)
    x = rng.standard_normal(shape).astype(dtype)
    y = rng.integers(0, 3, (steps, per_step))
    return x, y


# case name -> (model kind, dtype, optimizer, DDP keyword arguments)
CASES = {
    "mlp64": ("mlp", np.float64, "sgd", {"bucket_cap_mb": 0.001}),  # several small buckets
    "mlp32": ("mlp", np.float32, "adam", {}),
    "cnn32": ("cnn", np.float32, "sgd", {"bucket_cap_mb": 0.0005}),
    "view64": ("mlp", np.float64, "sgd", {"gradient_as_bucket_view": True, "bucket_cap_mb": 0.001}),
    "syncbn64": ("syncbn", np.float64, "sgd", {}),
}


def reference(case: str):
    """One process training on the concatenated batches of all ranks (rank 0's initial
    weights): what every rank's DDP copy must equal."""
    kind, dtype, opt_kind, _ = CASES[case]
    model = make_model(kind if kind != "syncbn" else "bn", dtype, seed=100)
    opt = make_opt(opt_kind, model.parameters())
    x, y = data(kind, dtype)
    for s in range(STEPS):
        opt.zero_grad()
        F.cross_entropy(model(autograd.tensor(x[s])), autograd.tensor(y[s])).backward()
        opt.step()
    return model.state_dict()


def reference_no_sync():
    """MICRO micro-batches accumulated, then one step: the same as one large step on the
    sum over micro-batches of the mean loss over all ranks' samples."""
    model = make_model("mlp", np.float64, seed=100)
    opt = make_opt("sgd", model.parameters())
    x, y = data("mlp", np.float64, steps=STEPS * MICRO)
    for s in range(STEPS):
        opt.zero_grad()
        loss = sum(
            F.cross_entropy(
                model(autograd.tensor(x[s * MICRO + j])), autograd.tensor(y[s * MICRO + j])
            )
            for j in range(MICRO)
        )
        loss.backward()
        opt.step()
    return model.state_dict()


def reference_heads():
    """Rank 0's loss goes through head_a, rank 1's through head_b; DDP averages."""
    model = make_model("heads", np.float64, seed=100)
    x, y = data("mlp", np.float64, steps=1)
    xs, ys = autograd.tensor(x[0]), autograd.tensor(y[0])
    loss = (
        F.cross_entropy(model(xs[:PER_RANK], False), ys[:PER_RANK])
        + F.cross_entropy(model(xs[PER_RANK:], True), ys[PER_RANK:])
    ) / 2
    loss.backward()
    return {n: p.grad for n, p in model.named_parameters()}


# ---- the MPI side --------------------------------------------------------------------------
def _mine(arr, rank):
    return arr[rank * PER_RANK : (rank + 1) * PER_RANK]


def run_rank(outdir):
    import autograd.distributed as dist
    from autograd.utils.data import DistributedSampler

    DDP = nn.parallel.DistributedDataParallel
    dist.init_process_group("mpi")
    r = dist.get_rank()
    out, info = {}, {"world_size": dist.get_world_size()}

    # DDP training equals one process on the concatenated batch
    for case, (kind, dtype, opt_kind, kw) in CASES.items():
        model = make_model(kind, dtype, seed=100 + r)  # different on each rank: DDP broadcasts
        ddp = DDP(model, **kw)
        info[f"{case}_buckets"] = len(ddp._buckets)
        opt = make_opt(opt_kind, ddp.parameters())
        x, y = data(kind, dtype)
        for s in range(STEPS):
            opt.zero_grad()
            loss = F.cross_entropy(
                ddp(autograd.tensor(_mine(x[s], r))), autograd.tensor(_mine(y[s], r))
            )
            loss.backward()
            opt.step()
        for k, v in ddp.module.state_dict().items():
            out[f"{case}/{k}"] = v.numpy()

    # no_sync: accumulate MICRO - 1 micro-batches locally, synchronise on the last
    model = make_model("mlp", np.float64, seed=100 + r)
    ddp = DDP(model)
    opt = make_opt("sgd", ddp.parameters())
    x, y = data("mlp", np.float64, steps=STEPS * MICRO)
    calls = []
    real_all_reduce = dist.all_reduce
    dist.all_reduce = lambda *a, **k: calls.append(1) or real_all_reduce(*a, **k)
    for s in range(STEPS):
        opt.zero_grad()
        for j in range(MICRO):
            xb, yb = (
                autograd.tensor(_mine(x[s * MICRO + j], r)),
                autograd.tensor(_mine(y[s * MICRO + j], r)),
            )
            if j < MICRO - 1:
                with ddp.no_sync():
                    F.cross_entropy(ddp(xb), yb).backward()
            else:
                F.cross_entropy(ddp(xb), yb).backward()
        opt.step()
    dist.all_reduce = real_all_reduce
    info["nosync_all_reduces"] = len(calls)  # one bucket: one all-reduce per step
    for k, v in ddp.module.state_dict().items():
        out[f"nosync/{k}"] = v.numpy()

    # find_unused_parameters: each rank uses another head, nobody uses `spare`
    ddp = DDP(make_model("heads", np.float64, seed=100 + r), find_unused_parameters=True)
    x, y = data("mlp", np.float64, steps=1)
    F.cross_entropy(
        ddp(autograd.tensor(_mine(x[0], r)), r == 1), autograd.tensor(_mine(y[0], r))
    ).backward()
    for n, p in ddp.module.named_parameters():
        if p.grad is None:
            info.setdefault("heads_grad_none", []).append(n)
        else:
            out[f"heads_grad/{n}"] = p.grad.numpy()

    # without find_unused_parameters the unused head makes the next forward fail (torch's error)
    ddp = DDP(make_model("heads", np.float64, seed=100))
    for _ in range(2):
        try:
            F.cross_entropy(
                ddp(autograd.tensor(_mine(x[0], r)), False), autograd.tensor(_mine(y[0], r))
            ).backward()
        except RuntimeError as e:
            info["unused_error"] = str(e)
            break

    # broadcast_buffers: the forward after training starts from rank 0's running statistics
    for flag in (True, False):
        ddp = DDP(make_model("bn", np.float64, seed=100), broadcast_buffers=flag)
        opt = make_opt("sgd", ddp.parameters())
        xb, yb = data("mlp", np.float64)
        for s in range(2):
            opt.zero_grad()
            xs, ys = autograd.tensor(_mine(xb[s], r)), autograd.tensor(_mine(yb[s], r))
            F.cross_entropy(ddp(xs), ys).backward()
            opt.step()
        ddp.eval()
        with autograd.no_grad():
            ddp(autograd.tensor(xb[0]))
        out[f"buffers_{flag}/running_mean"] = ddp.module[1].running_mean.numpy()

    # collectives
    t = autograd.tensor([1.0 + r, 10.0])
    dist.all_reduce(t)
    out["c/sum"] = t.numpy()
    t = autograd.tensor([1.0 + r, 10.0])
    work = dist.all_reduce(t, op=dist.ReduceOp.AVG, async_op=True)
    work.wait()
    out["c/avg"] = t.numpy()
    for op in ("MAX", "MIN", "PRODUCT"):
        t = autograd.tensor([2.0 + r, -1.0 - r], dtype=autograd.float32)
        dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
        out[f"c/{op}"] = t.numpy()
    base = autograd.zeros(6, dtype=autograd.float64)
    view = base[::2]  # a non-contiguous view: reduced through a copy, written back
    view += 1.0 + r
    dist.all_reduce(view)
    out["c/view_base"] = base.numpy()
    t = autograd.arange(4.0) * (r + 1)
    buf_before = t._data.ctypes.data
    dist.all_reduce(t)
    info["in_place_no_copy"] = t._data.ctypes.data == buf_before
    lst = [autograd.zeros(2) for _ in range(2)]
    dist.all_gather(lst, autograd.full((2,), 3.0 * r))
    out["c/all_gather"] = np.stack([v.numpy() for v in lst])
    big = autograd.zeros(4)
    dist.all_gather_into_tensor(big, autograd.full((2,), 5.0 + r))
    out["c/all_gather_into_tensor"] = big.numpy()
    o = autograd.zeros(2)
    dist.reduce_scatter(o, [autograd.full((2,), 10.0 * i + r) for i in range(2)])
    out["c/reduce_scatter"] = o.numpy()
    o = autograd.zeros(1)
    dist.reduce_scatter_tensor(o, autograd.tensor([1.0, 2.0]) * (r + 1))
    out["c/reduce_scatter_tensor"] = o.numpy()
    gl = [autograd.zeros(3) for _ in range(2)] if r == 1 else None
    dist.gather(autograd.full((3,), 7.0 + r), gl, dst=1)
    if r == 1:
        out["c/gather"] = np.stack([v.numpy() for v in gl])
    s = autograd.zeros(2)
    dist.scatter(s, [autograd.full((2,), 20.0 + i) for i in range(2)] if r == 0 else None, src=0)
    out["c/scatter"] = s.numpy()
    info["list_errors"] = []  # the list given on the wrong rank, then missing on the root
    for call in (
        lambda: dist.gather(s, [s, s] if r == 0 else None, dst=1),
        lambda: dist.scatter(s, None if r == 0 else [s, s], src=0),
    ):
        try:
            call()
        except ValueError as e:
            info["list_errors"].append(str(e))
    b = autograd.tensor([4.0, 5.0, 6.0]) if r == 1 else autograd.zeros(3)
    dist.broadcast(b, src=1)
    out["c/broadcast"] = b.numpy()
    red = autograd.tensor([1.0 + r])
    dist.reduce(red, dst=0)
    out["c/reduce"] = red.numpy()
    if r == 0:
        dist.send(autograd.tensor([42.0, 43.0]), dst=1)
    else:
        got = autograd.zeros(2)
        info["recv_from"] = dist.recv(got)
        out["c/recv"] = got.numpy()
    solo = dist.new_group([1])  # a group without rank 0: there, calls on it do nothing
    t = autograd.tensor([5.0 + r])
    dist.all_reduce(t, group=solo)
    out["c/subgroup"] = t.numpy()
    info["subgroup_rank"] = dist.get_rank(solo)
    objs = [None, None]
    dist.all_gather_object(objs, {"rank": r})
    info["objects"] = objs
    dist.barrier()

    # DistributedSampler: defaults from the process group
    sampler = DistributedSampler(list(range(11)), seed=3)
    sampler.set_epoch(1)
    info["sampler"] = list(sampler)
    info["sampler_replicas_rank"] = [sampler.num_replicas, sampler.rank]

    np.savez(os.path.join(outdir, f"rank{r}.npz"), **out)
    with open(os.path.join(outdir, f"rank{r}.json"), "w") as f:
        json.dump(info, f)
    dist.destroy_process_group()


if __name__ == "__main__":
    run_rank(sys.argv[1])
