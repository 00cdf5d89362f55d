"""autograd.compile's plan seen from outside: fused elementwise kernels (docs/compile.md
section 4), the buffers the plan keeps, and ``autograd.viz.draw`` of a compiled plan."""

import re

import pytest

import autograd
import nn
import nn.functional as F
import optim
from autograd import viz
from autograd.viz.dot import count_nodes


def _mlp_step(dtype=autograd.float64, seed=0, act=None):
    autograd.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 8), act or nn.ReLU(), nn.Linear(8, 3)).to(dtype)
    opt = optim.SGD(model.parameters(), lr=0.1)

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return model, step


# ---- viz.draw of a compiled plan -------------------------------------------------------------
def test_draw_shows_one_box_per_step_of_the_plan():
    _, step = _mlp_step()
    cf = autograd.compile(step)
    with pytest.raises(ValueError, match="call it first"):
        viz.draw(cf)
    x, y = autograd.randn(5, 4, dtype=autograd.float64), autograd.tensor([0, 1, 2, 0, 1])
    cf(x, y)
    cf(x, y)
    g = viz.draw(cf, title="step")
    src = g.source
    assert src.startswith("digraph plan") and g.num_nodes == count_nodes(src)
    assert g.num_nodes == len(cf.last_plan.boxes)
    labels = re.findall(r"<B>([^<]+)</B>", src)
    # every forward call and every VJP call of plan.source has its box
    assert labels.count("Mm") == cf.plan.count("= Mm_forward(") == 2
    assert labels.count("Mm VJP") == cf.plan.count("Mm_backward(") == 2
    assert "SGD.step" in labels and "Optimizer.zero_grad" in labels
    assert "input 0" in labels and labels.count("backward()") == 1
    assert len(re.findall(r"^\s*n\d+ -> n\d+", src, re.M)) >= g.num_nodes - 3
    assert "style=dashed" in src  # values a forward step saved for its VJP


def test_draw_of_a_compiled_module():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh()).to(autograd.float64)
    model.compile()
    model(autograd.randn(2, 3, dtype=autograd.float64))
    g = viz.draw(model)
    assert "Tanh" in re.findall(r"<B>([^<]+)</B>", g.source)
