"""jitgrad's main demo: train a small CNN on Fashion-MNIST end to end, on the CPU.

    bash scripts/demo.sh            # or: .venv/bin/python examples/demo.py [--epochs 2]

Uses the real Fashion-MNIST files installed by Debian's ``dataset-fashion-mnist`` package;
when they are absent it says so and trains on scikit-learn's 8x8 digits instead. Prints
test accuracy and the confusion matrix, and writes ``out/loss_curve.png`` and
``out/backprop_graph.svg`` (a picture of one backward pass through the model).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import autograd
import nn
import nn.functional as F
import optim
from autograd import datasets, transforms as T
from autograd.metrics import accuracy, confusion_matrix
from autograd.training import History, progress
from autograd.utils.data import DataLoader, Subset


class SmallCNN(nn.Module):
    """conv(1->16) relu pool, conv(16->32) relu pool, linear: ~30k parameters."""

    def __init__(self, side: int, classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(32 * (side // 4) ** 2, classes)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


def load_data(train_limit):
    tf = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])
    try:
        train = datasets.FashionMNIST(train=True, transform=tf)
        test = datasets.FashionMNIST(train=False, transform=tf)
        name, side = "Fashion-MNIST", 28
    except datasets.DatasetNotFoundError as e:
        print(f"note: {e}\nnote: falling back to scikit-learn's 8x8 digits")
        train = datasets.Digits(train=True, transform=tf)
        test = datasets.Digits(train=False, transform=tf)
        name, side = "digits", 8
    if train_limit and len(train) > train_limit:
        idx = np.random.default_rng(0).permutation(len(train))[:train_limit]
        train = Subset(train, idx.tolist())
    return name, side, train, test


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument(
        "--train-limit",
        type=int,
        default=20000,
        help="train on this many images (keeps the demo around a minute)",
    )
    ap.add_argument("--out", default="out")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    autograd.manual_seed(0)

    name, side, train, test = load_data(args.train_limit)
    print(f"dataset: {name}: {len(train)} train / {len(test)} test images of {side}x{side}")
    train_loader = DataLoader(train, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(test, batch_size=500)

    model = SmallCNN(side)
    print(model)
    print(f"parameters: {sum(p.numel() for p in model.parameters()):,}")
    optimizer = optim.Adam(model.parameters(), lr=2e-3)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=args.epochs * len(train_loader)
    )
    history = History()

    start = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        total, count = 0.0, 0
        for x, y in progress(train_loader, desc=f"epoch {epoch + 1}/{args.epochs}"):
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            history.log_grads(model)
            history.log_step(loss=loss.item(), lr=optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(y)
            count += len(y)
        test_acc, preds, targets = evaluate(model, test_loader)
        history.end_epoch(
            {"train loss": total / count, "test accuracy": test_acc},
            model=model,
            optimizer=optimizer,
        )
        print(
            f"epoch {epoch + 1}: train loss {total / count:.4f}  test accuracy {test_acc:.4f}  "
            f"({time.perf_counter() - start:.1f}s)"
        )

    print(f"\ntest accuracy: {test_acc:.4f}")
    cm = confusion_matrix(preds, targets, num_classes=10).numpy()
    print("confusion matrix (rows: true class, columns: predicted):")
    print("\n".join(" ".join(f"{v:5d}" for v in row) for row in cm))

    history.plot(os.path.join(args.out, "loss_curve.png"))
    x, y = next(iter(DataLoader(test, batch_size=8)))
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    picture = autograd.viz.draw(loss, params=model, max_nodes=40)
    try:
        picture.render(os.path.join(args.out, "backprop_graph.svg"))
        print(f"wrote {args.out}/loss_curve.png and {args.out}/backprop_graph.svg")
    except RuntimeError as e:  # no Graphviz: keep the DOT text
        with open(os.path.join(args.out, "backprop_graph.dot"), "w") as f:
            f.write(picture.source)
        print(f"wrote {args.out}/loss_curve.png and {args.out}/backprop_graph.dot ({e})")


def evaluate(model, loader):
    model.eval()
    preds, targets, correct, n = [], [], 0.0, 0
    with autograd.no_grad():
        for x, y in loader:
            out = model(x)
            correct += accuracy(out, y) * len(y)
            n += len(y)
            preds.append(out.argmax(1).numpy())
            targets.append(y.numpy())
    return correct / n, np.concatenate(preds), np.concatenate(targets)


if __name__ == "__main__":
    main()
