"""Small helpers shared by the course notebooks (``notebooks/en``, ``notebooks/ja``).

A notebook starts with::

    import sys; sys.path.insert(0, "..")   # finds this file, notebooks/course.py
    import course
    cfg = course.setup(epochs=(8, 2))       # (full run, shortened run when CI is set)

Only what is about *the course* lives here: which data set to use (Fashion-MNIST, or
scikit-learn's digits when it is not installed), how long to train (shorter when the ``CI``
environment variable is set), and presentation (image grids, a confusion-matrix picture,
tables). Anything a user of the library would want too belongs in the library instead:
the training loop is ``autograd.training.fit``/``evaluate``, run comparisons are
``autograd.training.plot_histories``, graph pictures are ``autograd.viz``.
"""

from __future__ import annotations

import html
import os
import types

import numpy as np

import autograd
from autograd import datasets
from autograd.utils.data import DataLoader, TensorDataset

__all__ = [
    "CI",
    "setup",
    "image_datasets",
    "load_images",
    "ImageData",
    "show_images",
    "plot_confusion",
    "table",
    "import_optuna",
]

#: True when the ``CI`` environment variable is set (to anything but "", "0" or "false"):
#: notebooks then train less, so that the test suite runs all of them in a few minutes.
CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def setup(seed=0, **choices):
    """Seed everything, use one thread per op, set readable plot defaults and pick the
    run's sizes.

    Each keyword is ``name=(full, ci)``: the value used normally and the one used when the
    ``CI`` environment variable is set. Returns a namespace of the chosen values and prints
    one line saying which run this is (a notebook must say when it trains less); without
    keywords it returns None and prints nothing.

    Example:
        >>> cfg = setup(epochs=(8, 2))   # doctest: +SKIP
        full run: epochs=8 (with CI set: epochs=2)
    """
    autograd.manual_seed(seed)
    np.random.seed(seed)
    # the course's models are small: one thread per op is faster than several, and much faster
    # when other programs share the cores (see autograd.threads)
    autograd.set_num_threads(1)
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "figure.dpi": 100,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.titlesize": 11,
            "legend.fontsize": 9,
        }
    )
    for name, pair in choices.items():
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise TypeError(f"setup: {name} must be a pair (full, ci), got {pair!r}")
    if not choices:
        return None
    cfg = types.SimpleNamespace(**{k: v[1] if CI else v[0] for k, v in choices.items()})
    full = ", ".join(f"{k}={v[0]}" for k, v in choices.items())
    short = ", ".join(f"{k}={v[1]}" for k, v in choices.items())
    if CI:
        print(f"CI is set: shortened run: {short} (the full run uses {full})")
    else:
        print(f"full run: {full} (with CI set: {short})")
    return cfg


def import_optuna():
    """``import optuna``, without the notice a Jupyter kernel would print on stderr.

    Optuna imports ``tqdm.auto``, which in a Jupyter kernel without the ipywidgets package
    warns (TqdmWarning: "IProgress not found") and falls back to text progress bars. The
    course uses no progress bars, and its notebooks must have clean outputs.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        import optuna
    return optuna


class ImageData(types.SimpleNamespace):
    """Images as float32 tensors, normalised with the training set's mean and std.

    Attributes: ``name``, ``classes``, ``side`` (image height = width), ``x_train``,
    ``y_train``, ``x_test``, ``y_test`` (images are ``(N, side*side)`` when flattened, else
    ``(N, 1, side, side)``), ``mean`` and ``std`` (of the raw [0, 1] pixels).
    """

    def train_loader(self, batch_size=128, shuffle=True):
        return DataLoader(
            TensorDataset(self.x_train, self.y_train), batch_size=batch_size, shuffle=shuffle
        )

    def test_loader(self, batch_size=1000):
        return DataLoader(TensorDataset(self.x_test, self.y_test), batch_size=batch_size)

    def __repr__(self):
        return (
            f"{self.name}: {len(self.y_train)} training and {len(self.y_test)} test images of "
            f"{self.side}x{self.side}, {len(self.classes)} classes"
        )


def image_datasets(*, root=None, transform=None):
    """``(train, test)``: the Fashion-MNIST datasets (Debian's ``dataset-fashion-mnist``, or the
    IDX files in ``root`` or in the folder named by the environment variable
    ``FASHION_MNIST_ROOT``), or scikit-learn's 8x8 digits when they are not found (a printed
    note says so)."""
    root = root or os.environ.get("FASHION_MNIST_ROOT") or None
    try:
        return (
            datasets.FashionMNIST(root=root, train=True, transform=transform),
            datasets.FashionMNIST(root=root, train=False, transform=transform),
        )
    except datasets.DatasetNotFoundError:
        print(
            "note: Fashion-MNIST is not installed (Debian/Ubuntu: apt-get install "
            "dataset-fashion-mnist); using scikit-learn's 8x8 digits instead"
        )
        return (
            datasets.Digits(train=True, transform=transform),
            datasets.Digits(train=False, transform=transform),
        )


def load_images(n_train=None, n_test=None, *, flatten=True, seed=0, root=None) -> ImageData:
    """The data of :func:`image_datasets` as normalised float32 tensors.

    ``n_train`` / ``n_test`` take a random subset of that many images (all when None, or when
    the data set is smaller); the subset is the same for the same ``seed``. Pixels are scaled
    to [0, 1] and normalised with the training subset's mean and std.
    """
    train, test = image_datasets(root=root)
    name = "Fashion-MNIST" if isinstance(train, datasets.FashionMNIST) else "digits (8x8)"
    rng = np.random.default_rng(seed)

    def subset(ds, n):
        idx = np.arange(len(ds.targets))
        if n is not None and n < len(idx):
            idx = np.sort(rng.choice(len(idx), size=n, replace=False))
        return ds.data[idx].astype(np.float32) / 255.0, ds.targets[idx].astype(np.int64)

    xtr, ytr = subset(train, n_train)
    xte, yte = subset(test, n_test)
    mean, std = float(xtr.mean()), float(xtr.std())
    side = xtr.shape[-1]
    shape = (-1, side * side) if flatten else (-1, 1, side, side)

    def prep(x):
        return autograd.tensor(((x - mean) / std).reshape(shape).astype(np.float32))

    return ImageData(
        name=name,
        classes=list(train.classes),
        side=side,
        mean=mean,
        std=std,
        x_train=prep(xtr),
        y_train=autograd.tensor(ytr),
        x_test=prep(xte),
        y_test=autograd.tensor(yte),
    )


def _numpy(x):
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


def show_images(images, labels, classes, predictions=None, *, cols=8, title=None):
    """A grid of images with their class names (and the prediction, red when wrong).

    ``images``: (N, H, W), (N, 1, H, W) or flattened square (N, H*W), tensor or array, any
    scale (each image is shown from its darkest to its brightest pixel)."""
    import matplotlib.pyplot as plt

    imgs = _numpy(images)
    side = int(round(np.sqrt(imgs[0].size)))
    imgs = imgs.reshape(len(imgs), side, side)
    labels = _numpy(labels).astype(int)
    preds = None if predictions is None else _numpy(predictions).astype(int)
    rows = -(-len(imgs) // cols)
    height = 1.6 if preds is None else 1.95  # room for a two-line title over a wrong prediction
    fig, axes = plt.subplots(rows, cols, figsize=(1.45 * cols, height * rows + 0.4), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= len(imgs):
            continue
        ax.imshow(imgs[k], cmap="gray_r")
        text, color = classes[labels[k]], "black"
        if preds is not None and preds[k] != labels[k]:
            text, color = f"{classes[preds[k]]}\n(true: {text})", "#c00000"
        ax.set_title(text, fontsize=7.5, color=color)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_confusion(cm, classes, *, title="Confusion matrix (rows: true class)"):
    """The confusion matrix as a picture: counts in each cell, row-normalised colours."""
    import matplotlib.pyplot as plt

    m = _numpy(cm)
    frac = m / np.maximum(m.sum(1, keepdims=True), 1)
    n = len(classes)
    fig, ax = plt.subplots(figsize=(0.55 * n + 2.5, 0.5 * n + 1.5))
    im = ax.imshow(frac, cmap="Blues", vmin=0, vmax=1)
    ax.grid(False)
    for i in range(n):
        for j in range(n):
            ax.text(
                j,
                i,
                str(m[i, j]),
                ha="center",
                va="center",
                fontsize=7,
                color="white" if frac[i, j] > 0.5 else "black",
            )
    ax.set_xticks(range(n), classes, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(n), classes, fontsize=8)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, fraction=0.046, label="fraction of the true class")
    fig.tight_layout()
    return fig


class Table:
    """Rows shown as an HTML table in Jupyter and as aligned text elsewhere."""

    def __init__(self, rows, columns, floatfmt):
        self.rows, self.columns, self.floatfmt = [list(r) for r in rows], list(columns), floatfmt

    def _cells(self):
        def fmt(v):
            if isinstance(v, (float, np.floating)):
                return format(float(v), self.floatfmt)
            return str(v)

        return [[fmt(v) for v in row] for row in self.rows]

    def __repr__(self):
        cells = self._cells()
        widths = [max(len(str(c)), *(len(r[i]) for r in cells)) for i, c in enumerate(self.columns)]
        line = "  ".join(str(c).rjust(w) for c, w in zip(self.columns, widths))
        body = ["  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in cells]
        return "\n".join([line, *body])

    def _repr_html_(self):
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in r) + "</tr>"
            for r in self._cells()
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def table(rows, columns, floatfmt=".4g") -> Table:
    """``table([[name, value, ...], ...], ["name", "value", ...])``: a small results table."""
    return Table(rows, columns, floatfmt)
