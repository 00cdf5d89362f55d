"""autograd.utils.tensorboard.SummaryWriter: every kind of summary is read back from the event
files with TensorBoard's own reader (EventAccumulator), and compared with what
torch.utils.tensorboard writes for the same calls."""

import os

import numpy as np
import pytest

import autograd
import nn

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")

from autograd.utils.tensorboard import SummaryWriter  # noqa: E402


def _read(logdir):
    ea = event_accumulator.EventAccumulator(
        str(logdir), size_guidance={k: 0 for k in ("scalars", "histograms", "images", "tensors")}
    )
    ea.Reload()
    return ea


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def _log_everything(w, torch_like):
    """The same calls for our writer and torch's (``torch_like`` is autograd or torch)."""
    for step in range(5):
        w.add_scalar("train/loss", torch_like.tensor(1.0 / (step + 1)), step)
        w.add_scalar("train/lr", 0.1 * 0.5**step, step)
    w.add_scalars("cmp", {"a": 1.0, "b": torch_like.tensor(2.0)}, 0)
    w.add_histogram("weights", torch_like.tensor(np.linspace(-1, 1, 101)), 3)
    img = np.zeros((3, 4, 5), np.float32)
    img[0, 1, 2] = 1.0
    w.add_image("image", torch_like.tensor(img), 0)
    w.add_images("batch", torch_like.tensor(np.stack([img, img])), 0)
    w.add_text("notes", "hello **TensorBoard**", 0)


def test_scalars_histograms_images_text_read_back(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        assert w.log_dir == str(tmp_path) == w.get_logdir()
        _log_everything(w, autograd)
    ea = _read(tmp_path)
    loss = ea.Scalars("train/loss")
    assert [s.step for s in loss] == [0, 1, 2, 3, 4]
    np.testing.assert_allclose([s.value for s in loss], [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5], rtol=1e-6)
    np.testing.assert_allclose(
        [s.value for s in ea.Scalars("train/lr")], [0.1 * 0.5**k for k in range(5)], rtol=1e-6
    )
    h = ea.Histograms("weights")[0]
    assert h.step == 3 and h.histogram_value.num == 101
    assert h.histogram_value.min == -1 and h.histogram_value.max == 1
    assert abs(h.histogram_value.sum) < 1e-9
    im = ea.Images("image")[0]
    assert (im.width, im.height) == (5, 4)
    from PIL import Image
    import io

    pixels = np.asarray(Image.open(io.BytesIO(im.encoded_image_string)))
    assert pixels.shape == (4, 5, 3) and pixels[1, 2, 0] == 255 and pixels.sum() == 255
    assert ea.Images("batch")[0].width == 10  # a grid of the two images
    text = ea.Tensors("notes/text_summary")[0].tensor_proto.string_val[0].decode()
    assert "hello" in text
    # add_scalars writes one sub-run per key, as torch does
    sub = sorted(os.listdir(tmp_path))
    assert "cmp_a" in sub and "cmp_b" in sub
    assert _read(tmp_path / "cmp_b").Scalars("cmp")[0].value == 2.0


def test_same_records_as_torch_writer(tmp_path):
    torch = pytest.importorskip("torch")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    with SummaryWriter(str(tmp_path / "ours")) as w:
        _log_everything(w, autograd)
    with TorchWriter(str(tmp_path / "torch")) as w:
        _log_everything(w, torch)
    ours, theirs = _read(tmp_path / "ours"), _read(tmp_path / "torch")
    for tag in ("train/loss", "train/lr"):
        assert [(s.step, s.value) for s in ours.Scalars(tag)] == [
            (s.step, s.value) for s in theirs.Scalars(tag)
        ]
    a, b = (
        ours.Histograms("weights")[0].histogram_value,
        theirs.Histograms("weights")[0].histogram_value,
    )
    assert (a.min, a.max, a.num) == (b.min, b.max, b.num)
    assert a.sum == pytest.approx(b.sum, abs=1e-9) and a.sum_squares == pytest.approx(b.sum_squares)
    assert (
        ours.Images("image")[0].encoded_image_string
        == theirs.Images("image")[0].encoded_image_string
    )
    assert {"cmp_a", "cmp_b"} <= set(os.listdir(tmp_path / "ours"))
    assert {"cmp_a", "cmp_b"} <= set(os.listdir(tmp_path / "torch"))


def test_figure(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(2, 1), dpi=50)
    plt.plot([0, 1], [1, 0])
    with SummaryWriter(str(tmp_path)) as w:
        w.add_figure("curve", fig, 7)
    im = _read(tmp_path).Images("curve")[0]
    assert im.step == 7 and (im.width, im.height) == (100, 50)


def test_hparams(tmp_path):
    from tensorboard.plugins.hparams import plugin_data_pb2

    with SummaryWriter(str(tmp_path)) as w:
        w.add_hparams(
            {"lr": 0.01, "optimizer": "adam", "bs": 32},
            {"hparam/accuracy": autograd.tensor(0.9)},
            hparam_domain_discrete={"optimizer": ["adam", "sgd"]},
            run_name="run1",
        )
        with pytest.raises(TypeError, match="should be dictionary"):
            w.add_hparams([("lr", 1)], {})
    ea = _read(tmp_path / "run1")
    assert ea.Scalars("hparam/accuracy")[0].value == pytest.approx(0.9)
    content = ea.SummaryMetadata("_hparams_/experiment").plugin_data.content
    exp = plugin_data_pb2.HParamsPluginData.FromString(content).experiment
    infos = {i.name: i for i in exp.hparam_infos}
    assert set(infos) == {"lr", "optimizer", "bs"}
    assert [v.string_value for v in infos["optimizer"].domain_discrete.values] == ["adam", "sgd"]
    assert [m.name.tag for m in exp.metric_infos] == ["hparam/accuracy"]
    start = plugin_data_pb2.HParamsPluginData.FromString(
        ea.SummaryMetadata("_hparams_/session_start_info").plugin_data.content
    )
    assert start.session_start_info.hparams["lr"].number_value == 0.01
    assert start.session_start_info.hparams["optimizer"].string_value == "adam"


def test_add_graph_draws_the_recorded_graph(tmp_path):
    model = Net()
    with SummaryWriter(str(tmp_path)) as w:
        w.add_graph(model, autograd.randn(2, 4))
    g = _read(tmp_path).Graph()
    nodes = {n.name: n for n in g.node}
    # inputs, parameters named by module path, ops grouped by module, and the output
    assert nodes["input/input.0"].op == "IO Node"
    for p in ("fc1/weight", "fc1/bias", "fc2/weight", "fc2/bias"):
        assert nodes["Net/" + p].op == "Parameter"
    relu = [n for n in g.node if n.name.startswith("Net/act/")]
    assert len(relu) == 1 and relu[0].op == "Relu"
    assert all(i.startswith("Net/fc1/") for i in relu[0].input)
    out = nodes["output/output.0"]
    assert out.op == "IO Node" and out.input[0].startswith("Net/fc2/")
    # every input is a node of the graph (edges are consistent), shapes on the edges
    assert all(i in nodes for n in g.node for i in n.input)
    dims = [d.size for d in relu[0].attr["_output_shapes"].list.shape[0].dim]
    assert dims == [2, 8]
    # the graph is connected from the input to the output
    seen, todo = set(), ["output/output.0"]
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo.extend(nodes[n].input)
    assert "input/input.0" in seen and "Net/fc1/weight" in seen


def test_add_graph_with_integer_inputs(tmp_path):
    model = nn.Sequential(nn.Embedding(10, 4), nn.Linear(4, 2))
    with SummaryWriter(str(tmp_path)) as w:
        w.add_graph(model, autograd.tensor([[1, 2, 3]]))
    names = [n.name for n in _read(tmp_path).Graph().node]
    assert "Sequential/0/weight" in names and "Sequential/1/weight" in names


def test_default_log_dir_and_comment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_lr0.1")
    w.add_scalar("x", 1.0, 0)
    w.close()
    w.close()  # a second close is harmless, as in torch
    (run,) = os.listdir(tmp_path / "runs")
    assert run.endswith("_lr0.1")


def test_missing_library_gives_an_install_hint(fresh_python):
    code = (
        "import sys; sys.modules['tensorboardX'] = None\n"
        "try:\n    from autograd.utils.tensorboard import SummaryWriter\n"
        "except ImportError as e:\n    print(e)\n"
    )
    out = fresh_python(code)
    assert 'pip install "jitgrad[tensorboard]"' in out.stdout, out.stderr
