"""Checkpoints as PyTorch scripts write and read them: what scripts pass to torch.save /
torch.load, PyTorch's own files (a clear refusal for its pickles, saying how to convert them;
safetensors written by safetensors.torch loading into jitgrad models)."""

import io

import numpy as np
import pytest

import autograd
import nn
import optim
from autograd.errors import CheckpointError


def _training_state():
    autograd.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    opt = optim.AdamW(model.parameters(), lr=1e-3)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.01, total_steps=10)
    for _ in range(2):
        model(autograd.randn(5, 3)).sum().backward()
        opt.step()
        sched.step()
    return model, opt, sched


def _equal(a, b):
    if isinstance(a, autograd.Tensor):
        return (
            isinstance(b, autograd.Tensor)
            and a.dtype == b.dtype
            and np.array_equal(a.numpy(), b.numpy())
        )
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_equal, a, b))
    return a == b and type(a) is type(b)


@pytest.mark.parametrize("target", ["path", "file"])
def test_what_scripts_save_loads_back_equal(tmp_path, target):
    model, opt, sched = _training_state()
    ckpt = {
        "epoch": 7,
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": opt.state_dict(),
        "scheduler": sched.state_dict(),
        "loss": 0.25,
        "best_acc": np.float64(0.9).item(),
        "arch": "mlp",
        "history": [1.0, 0.5, 0.25],
        "config": {"layers": [3, 4, 2], "dropout": None, "tags": ("a", "b")},
        "extra_tensors": [autograd.ones(2), {"nested": autograd.arange(3)}],
    }
    if target == "path":
        autograd.save(ckpt, tmp_path / "ckpt.pt")
        loaded = autograd.load(tmp_path / "ckpt.pt", map_location="cpu", weights_only=False)
    else:
        with open(tmp_path / "ckpt.pt", "wb") as f:
            autograd.save(ckpt, f)
        with open(tmp_path / "ckpt.pt", "rb") as f:
            loaded = autograd.load(f, map_location=lambda storage, loc: storage)
    assert _equal(ckpt, loaded)
    model2, opt2, sched2 = _training_state()
    model2.load_state_dict(loaded["model_state_dict"])
    opt2.load_state_dict(loaded["optimizer_state_dict"])
    sched2.load_state_dict(loaded["scheduler"])
    assert _equal(opt2.state_dict(), opt.state_dict())
    assert sched2.state_dict() == sched.state_dict()


def test_map_location_forms():
    buf = io.BytesIO()
    autograd.save({"w": autograd.ones(2)}, buf)
    for loc in (None, "cpu", autograd.device("cpu"), {"cuda:0": "cpu"}, lambda s, loc: s):
        buf.seek(0)
        assert autograd.load(buf, map_location=loc)["w"].tolist() == [1.0, 1.0]
    buf.seek(0)
    with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA device"):
        autograd.load(buf, map_location="cuda")


def test_a_pytorch_pickle_is_refused_with_the_conversion_recipe(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "model.pt"
    torch.save(torch.nn.Linear(2, 2).state_dict(), path)
    with pytest.raises(CheckpointError) as info:
        autograd.load(path)
    msg = str(info.value)
    assert "PyTorch pickle file" in msg and "never unpickles" in msg
    assert "from safetensors.torch import save_file" in msg and "load_state_dict" in msg
    # the legacy (non-zip) format too
    torch.save({"a": torch.ones(1)}, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(CheckpointError, match="PyTorch pickle file"):
        autograd.load(tmp_path / "old.pt", weights_only=False)


def test_the_conversion_recipe_works(tmp_path):
    """The recipe of the error message, run as written, gives a file our model loads."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("safetensors.torch")
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    torch.save({"model": tmodel.state_dict(), "epoch": 3}, tmp_path / "model.pt")
    with pytest.raises(CheckpointError) as info:
        autograd.load(tmp_path / "model.pt")
    recipe = str(info.value).split("PyTorch:\n", 1)[1].split("\nthen here:")[0]
    import os

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(recipe.replace("\n    ", "\n").strip(), {})
    finally:
        os.chdir(cwd)
    ours = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    ours.load_state_dict(autograd.load(tmp_path / "model.safetensors"))
    np.testing.assert_array_equal(
        ours[0].weight.detach().numpy(), tmodel[0].weight.detach().numpy()
    )


def test_safetensors_written_by_pytorch_load_into_jitgrad_models(tmp_path):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    torch.manual_seed(0)

    class TNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 3, 3)
            self.bn = torch.nn.BatchNorm2d(3)
            self.rnn = torch.nn.LSTM(3, 5, batch_first=True)
            self.head = torch.nn.Linear(5, 2)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 3, 3)
            self.bn = nn.BatchNorm2d(3)
            self.rnn = nn.LSTM(3, 5, batch_first=True)
            self.head = nn.Linear(5, 2)

    tnet = TNet()
    tnet.bn(torch.randn(4, 3, 5, 5))  # running stats and num_batches_tracked (int64)
    st.save_file(tnet.state_dict(), str(tmp_path / "net.safetensors"))
    sd = autograd.load(tmp_path / "net.safetensors")
    assert set(sd) == set(tnet.state_dict())
    assert sd["bn.num_batches_tracked"].dtype == autograd.int64
    assert sd["conv.weight"].dtype == autograd.float32
    net = Net()
    net.load_state_dict(sd)
    for name, t in tnet.state_dict().items():
        np.testing.assert_array_equal(net.state_dict()[name].numpy(), t.numpy())
    # and back: our state_dict as a safetensors file PyTorch reads
    st_np = pytest.importorskip("safetensors.numpy")
    st_np.save_file(
        {k: v.numpy() for k, v in net.state_dict().items()}, str(tmp_path / "back.safetensors")
    )
    tnet.load_state_dict(st.load_file(str(tmp_path / "back.safetensors")))
