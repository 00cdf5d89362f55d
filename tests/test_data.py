"""autograd.utils.data, datasets, transforms, metrics and training helpers."""

import gzip
import http.server
import os
import struct
import threading

import numpy as np
import pytest

import autograd
from autograd import datasets, transforms as T
from autograd.metrics import accuracy, confusion_matrix, precision_recall_f1
from autograd.training import EarlyStopping, History, progress
from autograd.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    get_worker_info,
    random_split,
)


class Squares(Dataset):
    def __init__(self, n=10):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return np.array([i, i * i], dtype=np.float32), i


class Stream(IterableDataset):
    def __iter__(self):
        return iter(range(7))

    def __len__(self):
        return 7


class Crashing(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            os._exit(3)  # a worker that dies without a word
        return np.float32(i)


class Failing(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            raise KeyError("bad sample 2")
        return i


# ---- DataLoader semantics ------------------------------------------------------------------
@pytest.mark.parametrize(
    "n,bs,drop_last", [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False)]
)
def test_batch_counts_and_drop_last(n, bs, drop_last):
    loader = DataLoader(Squares(n), batch_size=bs, drop_last=drop_last)
    batches = list(loader)
    expected = n // bs if drop_last else -(-n // bs)
    assert len(batches) == expected == len(loader)
    sizes = [b[0].shape[0] for b in batches]
    assert sum(sizes) == (n - n % bs if drop_last else n)


def test_default_collation_shapes_and_dtypes():
    x, y = next(iter(DataLoader(Squares(), batch_size=4)))
    assert x.shape == (4, 2) and x.dtype == autograd.float32
    assert y.tolist() == [0, 1, 2, 3] and y.dtype == autograd.int64
    batch = default_collate([{"a": 1.5, "b": np.zeros(3)}, {"a": 2.5, "b": np.ones(3)}])
    assert batch["a"].dtype == autograd.float64 and batch["b"].shape == (2, 3)
    assert default_collate([("x", 1), ("y", 2)])[0] == ["x", "y"]


def test_tensor_dataset_and_subset_concat_split():
    ds = TensorDataset(autograd.arange(10).float(), autograd.arange(10))
    assert len(ds) == 10 and ds[3][1].item() == 3
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(autograd.zeros(3), autograd.zeros(4))
    sub = Subset(ds, [1, 3])
    assert len(sub) == 2 and sub[1][1].item() == 3
    cat = ConcatDataset([Squares(3), Squares(4)])
    assert len(cat) == 7 and cat[4][1] == 1 and cat[-1][1] == 3
    a, b = random_split(range(10), [7, 3], generator=autograd.Generator().manual_seed(1))
    assert sorted(list(a.indices) + list(b.indices)) == list(range(10))
    a, b, c = random_split(range(10), [0.5, 0.3, 0.2])
    assert (len(a), len(b), len(c)) == (5, 3, 2)
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(range(10), [3, 3])


def test_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    g = autograd.Generator().manual_seed(0)
    perm = list(RandomSampler(range(6), generator=g))
    assert sorted(perm) == list(range(6))
    draws = list(RandomSampler(range(3), replacement=True, num_samples=20))
    assert len(draws) == 20 and set(draws) <= {0, 1, 2}
    assert sorted(SubsetRandomSampler([5, 7, 9])) == [5, 7, 9]
    w = list(WeightedRandomSampler([0.0, 1.0, 0.0], 10))
    assert w == [1] * 10
    assert list(BatchSampler(range(5), 2, drop_last=False)) == [[0, 1], [2, 3], [4]]
    assert len(BatchSampler(range(5), 2, drop_last=True)) == 2
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        BatchSampler(range(5), 0, False)


def test_option_conflicts_like_torch():
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(Squares(), sampler=SequentialSampler(range(3)), shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(Squares(), batch_size=4, batch_sampler=BatchSampler(range(3), 2, False))
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(Squares(), num_workers=-1)


def test_iterable_dataset_batches():
    batches = [b.tolist() for b in DataLoader(Stream(), batch_size=3)]
    assert batches == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(DataLoader(Stream(), batch_size=3, drop_last=True)) == 2


def test_shuffle_reproducible_from_manual_seed():
    def order():
        return [y.tolist() for _, y in DataLoader(Squares(12), batch_size=4, shuffle=True)]

    autograd.manual_seed(7)
    a = order()
    autograd.manual_seed(7)
    b = order()
    assert a == b and sorted(sum(a, [])) == list(range(12)) and sum(a, []) != list(range(12))
    g1, g2 = autograd.Generator().manual_seed(3), autograd.Generator().manual_seed(3)
    l1 = [y.tolist() for _, y in DataLoader(Squares(12), batch_size=4, shuffle=True, generator=g1)]
    l2 = [y.tolist() for _, y in DataLoader(Squares(12), batch_size=4, shuffle=True, generator=g2)]
    assert l1 == l2


def test_semantics_match_torch():
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader as TDL

    for bs, drop in [(3, False), (3, True), (4, False)]:
        ours = list(DataLoader(Squares(10), batch_size=bs, drop_last=drop))
        theirs = list(TDL(Squares(10), batch_size=bs, drop_last=drop))
        assert len(ours) == len(theirs)
        for (xo, yo), (xt, yt) in zip(ours, theirs):
            assert tuple(xo.shape) == tuple(xt.shape) and yo.tolist() == yt.tolist()
            assert str(xo.dtype).split(".")[-1] == str(xt.dtype).split(".")[-1]
    dict_batch_t = torch.utils.data.default_collate([{"a": 1.5, "b": 2}, {"a": 2.5, "b": 3}])
    dict_batch_o = default_collate([{"a": 1.5, "b": 2}, {"a": 2.5, "b": 3}])
    for k in ("a", "b"):
        assert (
            str(dict_batch_o[k].dtype).split(".")[-1] == str(dict_batch_t[k].dtype).split(".")[-1]
        )


# ---- worker processes ----------------------------------------------------------------------
def test_workers_give_same_batches_in_order():
    single = [(x.numpy().tolist(), y.tolist()) for x, y in DataLoader(Squares(23), batch_size=4)]
    multi = [
        (x.numpy().tolist(), y.tolist())
        for x, y in DataLoader(Squares(23), batch_size=4, num_workers=2)
    ]
    assert multi == single


def test_worker_info_and_init_fn():
    class WhoAmI(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            info = get_worker_info()
            return -1 if info is None else info.id

    ids = [b.tolist() for b in DataLoader(WhoAmI(), batch_size=1, num_workers=2)]
    assert sorted(sum(ids, [])) == [0, 0, 1, 1]
    assert get_worker_info() is None


def test_dead_worker_raises_instead_of_hanging():
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        list(DataLoader(Crashing(), batch_size=2, num_workers=2, timeout=60))


def test_worker_exception_is_reported():
    with pytest.raises(KeyError, match="bad sample 2"):
        list(DataLoader(Failing(), batch_size=1, num_workers=2))


# ---- datasets --------------------------------------------------------------------------------
def _write_idx(path, arr, gz=True):
    codes = {np.dtype(np.uint8): 0x08}
    header = bytes([0, 0, codes[arr.dtype], arr.ndim]) + struct.pack(
        ">" + "I" * arr.ndim, *arr.shape
    )
    payload = header + arr.tobytes()
    with gzip.open(path, "wb") if gz else open(path, "wb") as f:
        f.write(payload)


def _make_idx_root(root, n_train=12, n_test=5):
    rng = np.random.default_rng(0)
    for split, n in (("train", n_train), ("t10k", n_test)):
        _write_idx(
            os.path.join(root, f"{split}-images-idx3-ubyte.gz"),
            rng.integers(0, 256, (n, 28, 28)).astype(np.uint8),
        )
        _write_idx(
            os.path.join(root, f"{split}-labels-idx1-ubyte.gz"),
            rng.integers(0, 10, n).astype(np.uint8),
        )


def test_idx_datasets_from_generated_files(tmp_path):
    _make_idx_root(tmp_path)
    ds = datasets.FashionMNIST(root=str(tmp_path), train=True, transform=T.ToTensor())
    assert len(ds) == 12
    x, y = ds[0]
    assert x.shape == (1, 28, 28) and x.dtype == autograd.float32 and 0 <= y < 10
    assert len(datasets.MNIST(root=str(tmp_path), train=False)) == 5


def test_idx_missing_and_corrupt_files(tmp_path):
    with pytest.raises(
        datasets.DatasetNotFoundError, match="apt-get install dataset-fashion-mnist"
    ):
        datasets.FashionMNIST(root=str(tmp_path))
    _make_idx_root(tmp_path)
    with open(tmp_path / "train-images-idx3-ubyte.gz", "wb") as f:  # truncated gzip member
        f.write(
            gzip.compress(b"\x00\x00\x08\x03" + struct.pack(">III", 12, 28, 28) + b"\x00" * 100)
        )
    with pytest.raises(ValueError, match="truncated or corrupt"):
        datasets.FashionMNIST(root=str(tmp_path))
    with open(tmp_path / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(b"garbage, not IDX at all")
    with pytest.raises(ValueError, match="not an IDX file"):
        datasets.FashionMNIST(root=str(tmp_path))


def test_download_from_local_http_server(tmp_path):
    served = tmp_path / "mirror"
    served.mkdir()
    _make_idx_root(served)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(served), **k)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:

        class LocalMNIST(datasets.MNIST):
            mirrors = ["http://127.0.0.1:1/unreachable", f"http://127.0.0.1:{server.server_port}"]

        root = tmp_path / "dl"
        ds = LocalMNIST(root=str(root), train=True, download=True)
        assert len(ds) == 12 and sorted(os.listdir(root)) == sorted(os.listdir(served))
    finally:
        server.shutdown()
        server.server_close()


def test_digits_dataset_split():
    tr, te = datasets.Digits(train=True), datasets.Digits(train=False)
    assert len(tr) + len(te) == 1797 and 340 <= len(te) <= 370
    x, y = tr[0]
    assert x.shape == (8, 8) and x.dtype == np.uint8 and isinstance(y, int)


def test_mnist1d_generated_locally():
    pytest.importorskip("mnist1d")
    tr, te = datasets.MNIST1D(train=True), datasets.MNIST1D(train=False)
    assert (len(tr), len(te)) == (4000, 1000)
    x, y = tr[0]
    assert x.shape == (40,) and 0 <= y < 10


# ---- transforms ---------------------------------------------------------------------------
def test_transforms():
    img = (np.arange(16, dtype=np.uint8) * 10).reshape(4, 4)
    t = T.ToTensor()(img)
    assert t.shape == (1, 4, 4) and abs(t.numpy().max() - 150 / 255) < 1e-6
    n = T.Normalize((0.5,), (0.25,))(t)
    np.testing.assert_allclose(n.numpy(), (t.numpy() - 0.5) / 0.25, rtol=1e-6)
    flipped = T.RandomHorizontalFlip(p=1.0)(t)
    np.testing.assert_array_equal(flipped.numpy(), t.numpy()[..., ::-1])
    assert T.RandomHorizontalFlip(p=0.0)(t) is t
    crop = T.RandomCrop(4, padding=2)(t)
    assert crop.shape == (1, 4, 4)
    same = T.RandomRotation(0)(t)
    np.testing.assert_allclose(same.numpy(), t.numpy(), atol=1e-6)
    rot = T.RandomRotation((90, 90))(autograd.tensor([[[0.0, 1.0], [0.0, 0.0]]]))
    assert rot.numpy().sum() == pytest.approx(1.0)
    noisy = T.GaussianNoise(0.1)(t)
    assert noisy.shape == t.shape and not np.allclose(noisy.numpy(), t.numpy())
    autograd.manual_seed(0)
    a = T.Compose([T.RandomCrop(4, padding=1), T.GaussianNoise(0.1)])(t)
    autograd.manual_seed(0)
    b = T.Compose([T.RandomCrop(4, padding=1), T.GaussianNoise(0.1)])(t)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


# ---- metrics ------------------------------------------------------------------------------
def test_metrics_hand_computed_and_vs_sklearn():
    logits = autograd.tensor([[0.1, 0.7, 0.2], [0.8, 0.1, 0.1], [0.3, 0.3, 0.4], [0.2, 0.5, 0.3]])
    target = autograd.tensor([1, 0, 0, 2])
    assert accuracy(logits, target) == 0.5
    assert accuracy(logits, target, topk=(1, 2)) == (0.5, 1.0)
    cm = confusion_matrix(logits.argmax(1), target, num_classes=3).tolist()
    assert cm == [[1, 0, 1], [0, 1, 0], [0, 1, 0]]
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
    np.testing.assert_array_equal(confusion_matrix(p, y, 4).numpy(), metrics.confusion_matrix(y, p))
    for avg in ("macro", "micro"):
        ours = precision_recall_f1(p, y, 4, average=avg)
        ref = metrics.precision_recall_fscore_support(y, p, average=avg, zero_division=0)[:3]
        np.testing.assert_allclose(ours, ref)


# ---- training helpers ----------------------------------------------------------------------
def test_early_stopping_modes():
    s = EarlyStopping(patience=2, min_delta=0.01, mode="max")
    assert [s.step(v) for v in (0.5, 0.6, 0.605, 0.59)] == [False, False, False, True]
    assert s.best == 0.6 and s.best_epoch == 1
    with pytest.raises(ValueError):
        EarlyStopping(mode="sideways")


def test_progress_is_quiet_off_terminal(capsys):
    assert list(progress(range(3))) == [0, 1, 2]
    assert capsys.readouterr().err == ""


def test_history_records_and_plots(tmp_path):
    class Model:
        def __init__(self):
            self.w = autograd.tensor([3.0, 4.0], requires_grad=True)

        def named_parameters(self):
            return [("w", self.w)]

    class Opt:
        param_groups = [{"lr": 0.1}]

    m, h = Model(), History()
    (m.w * m.w).sum().backward()
    h.log_grads(m)
    h.end_epoch({"loss": 1.0, "acc": 0.5}, model=m, optimizer=Opt())
    h.end_epoch({"loss": 0.5, "acc": 0.8}, model=m, optimizer=Opt())
    assert h.values["loss"] == [1.0, 0.5] and h.lr == [0.1, 0.1]
    assert h.grad_norms["w"][0] == pytest.approx(10.0) and h.weight_norms["w"][0] == pytest.approx(
        5.0
    )
    fig = h.plot(tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 1000
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_default_collate_promotes_and_nests_like_torch():
    # samples of int64 and float32 stacked to float64 (NumPy's promotion; torch's is float32),
    # tuples were collated to tuples (torch gives lists), and the error named the type alone
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate

    def describe(o):
        if isinstance(o, (autograd.Tensor, torch.Tensor)):
            return str(o.dtype).split(".")[-1], o.tolist()
        if isinstance(o, dict):
            return {k: describe(v) for k, v in o.items()}
        return type(o).__name__, [describe(v) for v in o]

    batches = [
        lambda lib: [lib.tensor([1]), lib.tensor([2.0])],
        lambda lib: [lib.tensor([1], dtype=lib.uint8), lib.tensor([-1], dtype=lib.int8)],
        lambda lib: [(lib.tensor([i]), i, np.float32(i)) for i in range(3)],
        lambda lib: [{"a": (lib.tensor(i), [i, i + 1])} for i in range(2)],
    ]
    for batch in batches:
        assert describe(default_collate(batch(autograd))) == describe(torch_collate(batch(torch)))
    messages = []
    for collate in (default_collate, torch_collate):
        with pytest.raises(TypeError) as e:
            collate([None, None])
        messages.append(str(e.value))
    assert messages[0] == messages[1]
