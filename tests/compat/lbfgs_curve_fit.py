"""Fit a small tanh network to noisy samples of a curve with L-BFGS (full batch, the closure
idiom, strong-Wolfe line search), then report the mean squared error on fresh points. The
noise has variance 0.01, so a good fit ends near 0.01."""

import argparse

import numpy as np
import torch
from torch import nn


def make_data(n, rng):
    x = rng.uniform(-3, 3, size=(n, 1))
    y = np.sin(x) + 0.3 * x + 0.1 * rng.standard_normal((n, 1))
    return torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=15, help="LBFGS steps (max_iter=20 each)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work-dir", type=str, default=".")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    x, y = make_data(200, rng)
    x_val, y_val = make_data(200, rng)

    model = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 1)).double()
    criterion = nn.MSELoss()
    optimizer = torch.optim.LBFGS(
        model.parameters(), lr=1, max_iter=20, history_size=10, line_search_fn="strong_wolfe"
    )

    def closure():
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        return loss

    for step in range(args.steps):
        loss = optimizer.step(closure)
        print(f"step {step}: train loss {loss.item():.5f}")
    with torch.no_grad():
        val = criterion(model(x_val), y_val).item()
    print(f"final_loss={val:.6f}")


if __name__ == "__main__":
    main()
