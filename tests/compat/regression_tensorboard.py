"""A regression training loop in the style of PyTorch's tutorials: a model class with
train()/eval(), SummaryWriter logging (scalars, a histogram per layer, the model graph),
ReduceLROnPlateau, early stopping, and the tutorial's general checkpoint (epoch, model and
optimizer state, loss) saved when the validation loss improves and loaded back to resume.
The targets carry noise of variance 0.25, the floor of the validation loss."""

import argparse
import os

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.tensorboard import SummaryWriter


class MLP(nn.Module):
    def __init__(self, n_in, hidden=32):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(n_in, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 1),
        )

    def forward(self, x):
        return self.layers(x).squeeze(-1)


def make_data(n, rng, w):
    x = rng.normal(size=(n, len(w))).astype(np.float32)
    y = (np.tanh(x @ w) + 0.5 * rng.normal(size=n)).astype(np.float32)
    return TensorDataset(torch.from_numpy(x), torch.from_numpy(y))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--work-dir", type=str, default="runs")
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    w = rng.normal(size=8) / 2
    train_loader = DataLoader(make_data(1024, rng, w), batch_size=64, shuffle=True)
    val_loader = DataLoader(make_data(512, rng, w), batch_size=256)
    device = "cuda" if torch.cuda.is_available() else "cpu"

    model = MLP(8).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, mode="min", factor=0.5, patience=2
    )
    loss_fn = nn.MSELoss()
    writer = SummaryWriter(log_dir=os.path.join(args.work_dir, "tb"))
    writer.add_graph(model, next(iter(val_loader))[0].to(device))
    ckpt_path = os.path.join(args.work_dir, "checkpoint.pt")
    best, bad_epochs, patience = float("inf"), 0, 4
    for epoch in range(args.epochs):
        model.train()
        running = 0.0
        for xb, yb in train_loader:
            xb, yb = xb.to(device), yb.to(device)
            pred = model(xb)
            loss = loss_fn(pred, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item() * xb.size(0)
        train_loss = running / len(train_loader.dataset)
        model.eval()
        with torch.no_grad():
            val_loss = sum(
                loss_fn(model(xb), yb).item() * xb.size(0) for xb, yb in val_loader
            ) / len(val_loader.dataset)
        scheduler.step(val_loss)
        writer.add_scalar("Loss/train", train_loss, epoch)
        writer.add_scalar("Loss/val", val_loss, epoch)
        writer.add_scalar("lr", optimizer.param_groups[0]["lr"], epoch)
        for name, param in model.named_parameters():
            writer.add_histogram(name, param, epoch)
        print(f"epoch {epoch}: train {train_loss:.4f} val {val_loss:.4f}")
        if val_loss < best:
            best, bad_epochs = val_loss, 0
            torch.save(
                {
                    "epoch": epoch,
                    "model_state_dict": model.state_dict(),
                    "optimizer_state_dict": optimizer.state_dict(),
                    "loss": val_loss,
                },
                ckpt_path,
            )
        else:
            bad_epochs += 1
            if bad_epochs >= patience:
                print("early stopping")
                break
    writer.flush()
    writer.close()

    # resume from the best checkpoint, as the tutorial does
    model = MLP(8)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    checkpoint = torch.load(ckpt_path, weights_only=True)
    model.load_state_dict(checkpoint["model_state_dict"])
    optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    print(f"best epoch {checkpoint['epoch']}")
    model.eval()
    with torch.no_grad():
        final = sum(loss_fn(model(xb), yb).item() * xb.size(0) for xb, yb in val_loader) / len(
            val_loader.dataset
        )
    assert abs(final - checkpoint["loss"]) < 1e-5
    print(f"final_loss={final:.6f}")


if __name__ == "__main__":
    main()
