"""Checkpoints: bit-exact round trips, safetensors compatibility, atomic writes, every
corrupt-file case raising CheckpointError, all-or-nothing model loading, resume equivalence."""

import json
import os
import pickle
import struct
from collections import OrderedDict

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
from autograd import CheckpointError


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "ckpt.safetensors")


def test_round_trip_bit_exact_all_dtypes(path):
    rng = np.random.default_rng(0)
    obj = {
        "f32": autograd.tensor(rng.normal(size=(3, 4)).astype(np.float32)),
        "f64": autograd.tensor(rng.normal(size=(2,))),
        "f16": autograd.tensor(rng.normal(size=(5,)).astype(np.float16)),
        "i64": autograd.tensor([1, -2, 3]),
        "i32": autograd.tensor([7], dtype=autograd.int32),
        "u8": autograd.tensor([0, 255], dtype=autograd.uint8),
        "b": autograd.tensor([True, False]),
        "scalar": autograd.tensor(3.5),
        "empty": autograd.zeros(0, 3),
        "special": autograd.tensor([np.nan, np.inf, -np.inf, -0.0, 1e-45]),
    }
    autograd.save(obj, path)
    back = autograd.load(path)
    assert list(back) == list(obj)
    for k in obj:
        a, b = obj[k].numpy(), back[k].numpy()
        assert a.dtype == b.dtype and a.shape == b.shape, k
        assert a.tobytes() == b.tobytes(), k  # bit-exact (nan payloads, -0.0 included)


def test_nested_structures_and_plain_values(path):
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    w = autograd.ones(2)
    obj = {
        "model": model.state_dict(),
        "optim": {
            "state": {0: {"step": 3, "exp_avg": w}},
            "param_groups": [
                {
                    "lr": 1e-3,
                    "betas": (0.9, 0.999),
                    "params": [0, 1],
                    "nesterov": False,
                    "foreach": None,
                }
            ],
        },
        "epoch": 3,
        "name": "run-1",
        "nan": float("nan"),
        "inf": float("-inf"),
        "shared": w,
        "dtype": autograd.float64,
    }
    autograd.save(obj, path)
    back = autograd.load(path)
    assert isinstance(back["model"], OrderedDict) and list(back["model"]) == list(
        model.state_dict()
    )
    assert back["optim"]["state"][0]["step"] == 3  # int keys survive
    assert back["optim"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert back["optim"]["param_groups"][0]["foreach"] is None
    assert back["epoch"] == 3 and back["name"] == "run-1" and back["dtype"] is autograd.float64
    assert np.isnan(back["nan"]) and back["inf"] == float("-inf")
    assert back["shared"] is back["optim"]["state"][0]["exp_avg"]  # stored once, shared again
    assert model.load_state_dict(back["model"]).missing_keys == []


def test_parameters_and_requires_grad_round_trip(path):
    p = nn.Parameter(autograd.ones(2))
    autograd.save({"p": p, "t": autograd.ones(1, requires_grad=True)}, path)
    back = autograd.load(path)
    assert isinstance(back["p"], nn.Parameter) and back["p"].requires_grad
    assert back["t"].requires_grad and not isinstance(back["t"], nn.Parameter)
    autograd.save(autograd.arange(3), path)  # a bare tensor
    assert autograd.load(path).tolist() == [0, 1, 2]


def test_file_is_standard_safetensors(path):
    autograd.save({"w": autograd.tensor([[1.0, 2.0]]), "epoch": 2}, path)
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    assert (8 + n) % 8 == 0
    assert header["__metadata__"]["format"] == "jitgrad"
    (entry,) = [v for k, v in header.items() if k != "__metadata__"]
    assert entry["dtype"] == "F32" and entry["shape"] == [1, 2]
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    arrays = safetensors_numpy.load_file(path)
    assert [a.tolist() for a in arrays.values()] == [[[1.0, 2.0]]]


def test_loads_foreign_safetensors_as_flat_dict(path):
    header = json.dumps({"a": {"dtype": "I32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + np.array([5, 6], np.int32).tobytes())
    back = autograd.load(path)
    assert back["a"].tolist() == [5, 6] and back["a"].dtype == autograd.int32


def test_refuses_unsupported_objects_without_touching_file(path):
    autograd.save({"ok": 1}, path)
    before = open(path, "rb").read()

    class Custom:
        pass

    with pytest.raises(TypeError, match=r"cannot store an object of type Custom at obj\['bad'\]"):
        autograd.save({"ok": 1, "bad": Custom()}, path)
    assert open(path, "rb").read() == before


def test_atomic_write_keeps_previous_file_on_failure(path, monkeypatch):
    autograd.save({"v": autograd.tensor([1.0])}, path)
    before = open(path, "rb").read()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        autograd.save({"v": autograd.tensor([2.0])}, path)
    monkeypatch.undo()
    assert open(path, "rb").read() == before
    assert os.listdir(os.path.dirname(path)) == [os.path.basename(path)]  # no temp left behind
    assert autograd.load(path)["v"].tolist() == [1.0]


def test_file_objects(tmp_path):
    import io

    buf = io.BytesIO()
    autograd.save({"x": autograd.tensor([1, 2])}, buf)
    buf.seek(0)
    assert autograd.load(buf)["x"].tolist() == [1, 2]


def _good_bytes(tmp_path):
    p = str(tmp_path / "good.safetensors")
    autograd.save({"w": autograd.ones(4, 4), "b": autograd.zeros(3), "epoch": 1}, p)
    return open(p, "rb").read()


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def _set_header(raw, fn):
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    fn(header)
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + raw[8 + n :]


CORRUPT = {
    "empty": lambda raw: b"",
    "tiny": lambda raw: raw[:5],
    "truncated_header": lambda raw: raw[:20],
    "truncated_data": lambda raw: raw[:-7],
    "trailing_garbage": lambda raw: raw + b"xyz",
    "garbage": lambda raw: bytes(np.random.default_rng(0).integers(0, 256, 500, dtype=np.uint8)),
    "text": lambda raw: b"hello world, this is not a checkpoint at all",
    "bad_json": lambda raw: struct.pack("<Q", 10) + b"{not json}" + b"x" * 16,
    "json_list": lambda raw: struct.pack("<Q", 2) + b"[]",
    "huge_header_len": lambda raw: struct.pack("<Q", 2**62) + raw[8:],
    "pickle": lambda raw: pickle.dumps({"w": [1.0, 2.0]}),
    "torch_zip": lambda raw: b"PK\x03\x04" + b"\x00" * 100,
    "bad_dtype": lambda raw: _set_header(
        raw, lambda h: h[[k for k in h if k != "__metadata__"][0]].update(dtype="X99")
    ),
    "bad_shape": lambda raw: _set_header(
        raw, lambda h: h[[k for k in h if k != "__metadata__"][0]].update(shape=[5, 5])
    ),
    "negative_shape": lambda raw: _set_header(
        raw, lambda h: h[[k for k in h if k != "__metadata__"][0]].update(shape=[-4, -4])
    ),
    "overlapping": lambda raw: _set_header(
        raw, lambda h: h[[k for k in h if k != "__metadata__"][1]].update(data_offsets=[0, 12])
    ),
    "bad_structure_json": lambda raw: _set_header(
        raw, lambda h: h["__metadata__"].update({"jitgrad.structure": "{oops"})
    ),
    "dangling_reference": lambda raw: _set_header(
        raw,
        lambda h: h["__metadata__"].update(
            {"jitgrad.structure": json.dumps({"__dict__": [["w", {"__tensor__": "t99"}]]})}
        ),
    ),
    "unknown_entry": lambda raw: _set_header(
        raw,
        lambda h: h["__metadata__"].update({"jitgrad.structure": json.dumps({"__pickle__": "x"})}),
    ),
}


@pytest.mark.parametrize("case", list(CORRUPT))
def test_corrupt_files_raise_checkpoint_error(case, tmp_path):
    path = str(tmp_path / "bad.safetensors")
    _write(path, CORRUPT[case](_good_bytes(tmp_path)))
    with pytest.raises(CheckpointError, match="cannot load checkpoint"):
        autograd.load(path)


def test_pickle_message_is_explicit(tmp_path):
    path = str(tmp_path / "model.pt")
    _write(path, pickle.dumps({"a": 1}))
    with pytest.raises(CheckpointError, match="never unpickles"):
        autograd.load(path)
    with pytest.raises(CheckpointError, match="never unpickles"):  # not even when asked to
        autograd.load(path, weights_only=False)
    assert isinstance(CheckpointError("x"), RuntimeError)


def test_tensors_pickle_between_processes_but_load_never_unpickles(tmp_path):
    # pickling exists for worker processes only; a pickled tensor is still no checkpoint
    t = pickle.loads(pickle.dumps(autograd.ones(2, requires_grad=True)))
    assert t.tolist() == [1.0, 1.0] and t.requires_grad and t.is_leaf
    path = str(tmp_path / "t.pt")
    _write(path, pickle.dumps({"w": autograd.ones(2)}))
    with pytest.raises(CheckpointError, match="never unpickles"):
        autograd.load(path)


def test_mismatched_checkpoint_leaves_model_untouched(path):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    other = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 3))  # wrong last layer
    autograd.save(other.state_dict(), path)
    with pytest.raises(CheckpointError, match="size mismatch for 2.weight"):
        model.load_state_dict(autograd.load(path))
    sd = dict(model.state_dict())
    sd = {k: v.double() for k, v in sd.items()}  # wrong dtypes
    autograd.save(sd, path)
    with pytest.raises(CheckpointError, match="dtype mismatch"):
        model.load_state_dict(autograd.load(path))
    extra = dict(model.state_dict())
    extra["3.weight"] = autograd.ones(1)
    del extra["0.bias"]
    autograd.save(extra, path)
    with pytest.raises(CheckpointError, match=r'Missing key\(s\) in state_dict: "0.bias"'):
        model.load_state_dict(autograd.load(path))
    for k, v in model.state_dict().items():
        assert np.array_equal(v.numpy(), before[k])


def _sgd_step(model, x, y, lr=0.1, momentum_buf=None):
    """One step of hand-written SGD with momentum (state kept in ``momentum_buf``)."""
    model.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    for k, (name, p) in enumerate(model.named_parameters()):
        buf = momentum_buf.get(name)
        g = p.grad.numpy()
        buf = g.copy() if buf is None else 0.9 * buf + g
        momentum_buf[name] = buf
        p._data -= lr * buf
    return loss.item()


def test_resume_equivalence(path):
    """10 steps == 5 steps + save/load (model, optimizer state, rng) + 5 steps, bit for bit."""

    def make():
        autograd.manual_seed(0)
        return nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.2), nn.Tanh(), nn.Linear(8, 3))

    rng = np.random.default_rng(0)
    xs = autograd.tensor(rng.normal(size=(10, 16, 4)).astype(np.float32))
    ys = autograd.tensor(rng.integers(0, 3, size=(10, 16)))

    model = make()
    state = {}
    full = [_sgd_step(model, xs[i], ys[i], momentum_buf=state) for i in range(10)]
    final = {k: v.numpy().copy() for k, v in model.state_dict().items()}

    model = make()
    state = {}
    first = [_sgd_step(model, xs[i], ys[i], momentum_buf=state) for i in range(5)]
    autograd.save(
        {
            "model": model.state_dict(),
            "optim": {k: autograd.tensor(v) for k, v in state.items()},
            "rng": autograd.get_rng_state(),
            "step": 5,
        },
        path,
    )
    del model, state
    ck = autograd.load(path)
    model = make()  # fresh weights, different rng position
    autograd.manual_seed(123)
    model.load_state_dict(ck["model"])
    state = {k: v.numpy() for k, v in ck["optim"].items()}
    autograd.set_rng_state(ck["rng"])
    second = [_sgd_step(model, xs[i], ys[i], momentum_buf=state) for i in range(ck["step"], 10)]
    assert first + second == full
    for k, v in model.state_dict().items():
        assert v.numpy().tobytes() == final[k].tobytes(), k


def test_resume_equivalence_with_optim_adam(path):
    optim = pytest.importorskip("optim")
    rng = np.random.default_rng(0)
    xs = autograd.tensor(rng.normal(size=(10, 16, 4)).astype(np.float32))
    ys = autograd.tensor(rng.integers(0, 3, size=(10, 16)))

    def make():
        autograd.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 3))
        return model, optim.Adam(model.parameters(), lr=1e-2)

    def step(model, opt, i):
        opt.zero_grad()
        loss = F.cross_entropy(model(xs[i]), ys[i])
        loss.backward()
        opt.step()
        return loss.item()

    model, opt = make()
    full = [step(model, opt, i) for i in range(10)]
    final = {k: v.numpy().copy() for k, v in model.state_dict().items()}

    model, opt = make()
    first = [step(model, opt, i) for i in range(5)]
    autograd.save({"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 5}, path)
    model, opt = make()
    ck = autograd.load(path)
    model.load_state_dict(ck["model"])
    opt.load_state_dict(ck["optim"])
    second = [step(model, opt, i) for i in range(ck["epoch"], 10)]
    assert first + second == full
    for k, v in model.state_dict().items():
        assert v.numpy().tobytes() == final[k].tobytes(), k
