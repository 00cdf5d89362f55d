"""Checkpoint fuzzing (issue 14): corrupt files and killed saves.

* Random byte flips, truncations, insertions and header edits of a valid checkpoint (model,
  optimizer, epoch): ``autograd.load`` either returns something or raises ``CheckpointError``
  (never another exception, never a hang); loading what it returned into the model and the
  optimizer either works or raises a clear error (``CheckpointError``, or ``TypeError`` /
  ``ValueError`` / ``KeyError`` for a structure that is no state dict) and leaves them untouched.
* ``kill -9`` while saving: the previous file is intact (it loads, with the old or the new
  contents, never a mix), and the next save removes the killed save's temporary file.

Hypothesis runs derandomized (the same examples every run) with modest counts.
"""

import json
import os
import signal
import struct
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings, strategies as st

import autograd
import nn
import optim
from autograd import CheckpointError

FUZZ = settings(
    max_examples=int(os.environ.get("JITGRAD_FUZZ_EXAMPLES", "20")) * 10,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _model_and_optimizer():
    autograd.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    model(autograd.randn(5, 3)).sum().backward()
    opt.step()
    return model, opt


def _snapshot(model, opt):
    params = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    state = {
        id(p): {
            k: (v.numpy().copy() if isinstance(v, autograd.Tensor) else v) for k, v in s.items()
        }
        for p, s in opt.state.items()
    }
    groups = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    return params, state, groups


def _same(a, b):
    pa, sa, ga = a
    pb, sb, gb = b
    assert pa.keys() == pb.keys() and all(np.array_equal(pa[k], pb[k]) for k in pa)
    assert sa.keys() == sb.keys()
    for k in sa:
        assert sa[k].keys() == sb[k].keys()
        for n in sa[k]:
            assert np.array_equal(np.asarray(sa[k][n]), np.asarray(sb[k][n]))
    assert ga == gb


class _Bytes(bytes):
    def __repr__(self):  # Hypothesis prints failing examples: keep them short
        return f"<{len(self)} bytes>"


@pytest.fixture(scope="module")
def good_bytes(tmp_path_factory):
    model, opt = _model_and_optimizer()
    path = tmp_path_factory.mktemp("ck") / "good.safetensors"
    autograd.save({"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3}, path)
    return _Bytes(path.read_bytes())


def _header(raw):
    (n,) = struct.unpack("<Q", raw[:8])
    return n, json.loads(raw[8 : 8 + n])


def _with_header(raw, header):
    n, _ = _header(raw)
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + raw[8 + n :]


# junk that looks like the format: the structure's marker keys, the header's field names,
# sizes whose product overflows int64, names of arrays that exist
_KEYS = st.sampled_from(
    [
        "__tensor__",
        "__ndarray__",
        "__dict__",
        "__tuple__",
        "__float__",
        "__dtype__",
        "kind",
        "requires_grad",
        "ordered",
        "dtype",
        "shape",
        "data_offsets",
        "t0",
        "t1",
        "x",
    ]
)
_ATOMS = (
    st.none()
    | st.booleans()
    | st.sampled_from(
        [
            0,
            1,
            -1,
            2**31,
            2**32,
            2**62,
            2**64,
            "t0",
            "t1",
            "nan",
            "inf",
            "float32",
            "parameter",
            "F32",
        ]
    )
    | st.integers(-(2**70), 2**70)
    | st.text(max_size=4)
    | st.floats(allow_nan=False)
)
_JUNK = st.recursive(
    _ATOMS,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(_KEYS, c, min_size=1, max_size=3),
    max_leaves=8,
)


@st.composite
def _mutation(draw, raw):
    kind = draw(
        st.sampled_from(
            ["flip", "flip_header", "truncate", "insert", "tensor_entry", "structure", "nest"]
        )
    )
    n, header = _header(raw)
    data = bytearray(raw)
    if kind in ("flip", "flip_header"):
        hi = 8 + n if kind == "flip_header" else len(data)
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, hi - 1))
            data[i] ^= 1 << draw(st.integers(0, 7))
        return kind, bytes(data)
    if kind == "truncate":
        return kind, bytes(data[: draw(st.integers(0, len(data) - 1))])
    if kind == "insert":
        i = draw(st.integers(0, len(data)))
        return kind, bytes(data[:i] + draw(st.binary(min_size=1, max_size=16)) + data[i:])
    if kind == "tensor_entry":  # edit one array's dtype / shape / offsets
        name = draw(st.sampled_from(sorted(k for k in header if k != "__metadata__")))
        field = draw(st.sampled_from(["dtype", "shape", "data_offsets", "drop", "replace"]))
        if field == "replace":
            header[name] = draw(_JUNK)
        elif field == "drop":
            del header[name][draw(st.sampled_from(["dtype", "shape", "data_offsets"]))]
            header[name][draw(_KEYS)] = draw(_JUNK)
        elif field == "dtype":
            header[name]["dtype"] = draw(
                st.sampled_from(["F16", "F64", "I64", "BOOL", "U8", "X", 3])
            )
        else:
            header[name][field] = draw(st.lists(st.integers(-3, 2**66), max_size=3) | _JUNK)
        return kind, _with_header(raw, header)
    structure = json.loads(header["__metadata__"]["jitgrad.structure"])
    if kind == "nest":  # the tree (or the whole header) wrapped in thousands of lists
        depth = draw(st.sampled_from([150, 2_000, 50_000]))
        if draw(st.booleans()):
            header["__metadata__"]["jitgrad.structure"] = (
                "[" * depth + json.dumps(structure) + "]" * depth
            )
            return kind, _with_header(raw, header)
        h = ('{"x": ' + "[" * depth + "]" * depth + ", " + json.dumps(header)[1:]).encode()
        return kind, struct.pack("<Q", len(h)) + h + raw[8 + n :]
    # "structure": replace one node of the saved object tree with junk
    path = []
    node = structure
    for _ in range(draw(st.integers(0, 6))):
        if isinstance(node, dict) and node:
            key = draw(st.sampled_from(sorted(node, key=str)))
        elif isinstance(node, list) and node:
            key = draw(st.integers(0, len(node) - 1))
        else:
            break
        path.append(key)
        node = node[key]
    junk = draw(_JUNK)
    if path:
        parent = structure
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = junk
    else:
        structure = junk
    header["__metadata__"]["jitgrad.structure"] = json.dumps(structure)
    return kind, _with_header(raw, header)


@given(data=st.data())
@FUZZ
def test_corrupt_checkpoints_raise_only_checkpoint_error(good_bytes, tmp_path_factory, data):
    kind, raw = data.draw(
        _mutation(good_bytes).map(lambda m: (m[0], _Bytes(m[1]))), label="mutation"
    )
    path = tmp_path_factory.mktemp("fz") / "bad.safetensors"
    path.write_bytes(raw)
    model, opt = _model_and_optimizer()
    before = _snapshot(model, opt)
    try:
        back = autograd.load(path)
    except CheckpointError:
        _same(before, _snapshot(model, opt))
        return
    # a flip inside the arrays' bytes gives a valid file with other numbers: that is allowed,
    # but loading its parts must be all-or-nothing
    for target, key in ((model, "model"), (opt, "optim")):
        part = back.get(key) if isinstance(back, dict) else back
        try:
            target.load_state_dict(part)
        except (CheckpointError, TypeError, ValueError, KeyError) as exc:
            note(f"{key}: {type(exc).__name__}: {exc}")
            current = _snapshot(model, opt)
            if target is model:
                _same((before[0], {}, []), (current[0], {}, []))
            else:
                _same((current[0], before[1], before[2]), current)
        before = _snapshot(model, opt)


CHILD = textwrap.dedent("""
    import sys, numpy as np, autograd
    path = sys.argv[1]
    big = [{"w": autograd.tensor(np.full((2_000_000,), float(v), np.float32)), "v": v} for v in (1, 2)]
    print("ready", flush=True)
    i = 0
    while True:
        autograd.save(big[i % 2], path)
        i += 1
""")


@pytest.mark.timeout(120)
def test_kill_9_during_save_keeps_the_old_file_and_no_temporary_survives(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    autograd.save({"w": autograd.zeros(3), "v": 0}, path)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    seen_temp = False
    for delay in (0.0, 0.01, 0.03, 0.07, 0.15):  # after the first temporary: lands mid-save
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, env=env, text=True
        )
        assert proc.stdout.readline().strip() == "ready"
        # wait for the child's first temporary, not a fixed time: on a loaded machine the
        # child may not have started writing after half a second
        deadline = time.monotonic() + 60
        while (
            not any(p.name.endswith(".jitgrad-tmp") for p in tmp_path.iterdir())
            and time.monotonic() < deadline
            and proc.poll() is None
        ):
            time.sleep(0.002)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        back = autograd.load(path)  # whole: the old or the new contents, never a mix
        w = back["w"].numpy()
        assert back["v"] in (0, 1, 2) and np.all(w == back["v"]), back["v"]
        seen_temp |= any(p.name.endswith(".jitgrad-tmp") for p in tmp_path.iterdir())
        autograd.save({"w": autograd.zeros(3), "v": 0}, path)  # sweeps the killed save's temp
        assert [p.name for p in tmp_path.iterdir()] == ["ckpt.safetensors"]
    assert seen_temp  # at least one kill did land in the middle of a save
