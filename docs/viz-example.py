"""Make the pictures in docs/viz.md: a 3-layer MLP on a real batch of handwritten digits.

Run from the repository root:  python docs/viz-example.py
"""

import numpy as np
from sklearn.datasets import load_digits

import autograd
import nn
import nn.functional as F
from autograd import viz


class MLP(nn.Module):
    def __init__(self, sizes=(64, 32, 16, 10), act=autograd.tanh):
        super().__init__()
        self.fc1 = nn.Linear(sizes[0], sizes[1])
        self.fc2 = nn.Linear(sizes[1], sizes[2])
        self.fc3 = nn.Linear(sizes[2], sizes[3])
        self.act = act

    def forward(self, x):
        return self.fc3(self.act(self.fc2(self.act(self.fc1(x)))))


def digits_batch(n=64):
    digits = load_digits()
    x = (digits.data[:n] / 16.0).astype(np.float32)  # 8x8 images, pixels 0..16 -> 0..1
    return autograd.tensor(x), autograd.tensor(digits.target[:n])


def main():
    autograd.manual_seed(0)
    model = MLP()
    x, y = digits_batch()
    loss = F.cross_entropy(model(x), y)

    # 1. the whole graph, values and gradients (record() keeps every intermediate gradient)
    with viz.record():
        loss.backward()
    g = viz.draw(loss, params=model, title="3-layer MLP on 64 digits: cross-entropy loss")
    g.render("docs/viz-mlp.svg")
    g.render("docs/viz-mlp.png")

    # 2. the same network, one backprop step
    model.zero_grad()
    loss = F.cross_entropy(model(x), y)
    steps = viz.backprop_steps(loss, params=model)
    k = next(f.index for f in steps if f.name == "MmBackward0" or "Addmm" in f.name)
    steps.draw(k + 1).render("docs/viz-step.png")
    print(steps[k + 1])

    # 3. a deep sigmoid network: the early layers barely learn (vanishing gradients)
    deep = nn.Sequential(
        nn.Linear(64, 32),
        *[m for _ in range(7) for m in (nn.Sigmoid(), nn.Linear(32, 32))],
        nn.Sigmoid(),
        nn.Linear(32, 10),
    )
    loss = F.cross_entropy(deep(x), y)
    viz.draw(
        loss,
        params=deep,
        collapse="Linear",
        values=False,
        title="9-layer sigmoid MLP, each Linear collapsed",
    ).render("docs/viz-vanishing.png")
    loss.backward()
    fig = viz.grad_flow(deep, per="layer", title="Gradient flow: 9-layer sigmoid MLP")
    fig.savefig("docs/viz-gradflow.png", dpi=110)


if __name__ == "__main__":
    main()
