"""Gradient flow summary: how big each parameter's gradient is, layer by layer.

The classic check for vanishing gradients (deep sigmoid networks): after ``backward()``,
plot the mean |grad| of every parameter, input side on the left, on a log axis. A staircase
falling towards the input means the early layers barely learn.
"""

from __future__ import annotations

import numpy as np

from .colors import EXPLODING_COLOR, VANISHING_COLOR, GradColors, magnitude


def _named(model):
    if hasattr(model, "named_parameters"):
        return list(model.named_parameters())
    if isinstance(model, dict):
        return list(model.items())
    try:
        return [(str(n), t) for n, t in model]
    except (TypeError, ValueError):
        raise TypeError(
            f"viz.grad_flow: expected a Module, a dict name -> Tensor or (name, "
            f"Tensor) pairs, got {type(model).__name__}"
        ) from None


def grad_stats(model, per="parameter"):
    """[(name, mean |g|, max |g|, finite, has_grad)] per parameter or per layer (module)."""
    if per not in ("parameter", "layer"):
        raise ValueError(f"viz.grad_flow: per must be 'parameter' or 'layer', got {per!r}")
    groups = {}
    for name, t in _named(model):
        if not getattr(t, "requires_grad", False):
            continue
        key = name.rpartition(".")[0] or name if per == "layer" else name
        g = t._grad._data if getattr(t, "_grad", None) is not None else None
        groups.setdefault(key, []).append(g)
    out = []
    for key, gs in groups.items():
        have = [np.ravel(g) for g in gs if g is not None]
        if not have:
            out.append((key, 0.0, 0.0, True, False))
            continue
        flat = np.concatenate(have) if len(have) > 1 else have[0]
        mean, finite = magnitude(flat)
        with np.errstate(all="ignore"):
            mx = float(np.max(np.abs(flat.astype(np.float64)))) if flat.size else 0.0
        out.append((key, mean, mx, finite, True))
    return out


def grad_flow(
    model,
    *,
    per="parameter",
    vanishing=1e-6,
    exploding=1e3,
    figsize=None,
    title="Gradient flow",
    ax=None,
):
    """Bar chart of mean |grad| (and max |grad|) per parameter or layer, log scale.

    Bars use the same colours as :func:`autograd.viz.draw`; the vanishing/exploding
    thresholds are drawn as lines; parameters without a gradient are marked "no grad" and
    NaN/inf gradients "nan/inf". Returns a matplotlib ``Figure`` (made without pyplot, so
    it shows once in Jupyter and needs no GUI).

    Example:
        >>> import autograd
        >>> w = autograd.tensor([1e-8, 2e-8], requires_grad=True)
        >>> (w * 3).sum().backward()
        >>> fig = autograd.viz.grad_flow({"w": w})    # the bar for w is flagged vanishing
    """
    from .._figures import new_figure

    stats = grad_stats(model, per)
    colors = GradColors(vanishing, exploding)
    if ax is None:
        n = max(len(stats), 1)
        fig = new_figure(figsize=figsize or (max(6.0, 0.45 * n + 2.5), 4.2), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    names = [s[0] for s in stats]
    x = np.arange(len(stats))
    # the axis reaches a decade below the smallest gradient, so tiny bars stay visible
    tiny = [s[1] for s in stats if s[4] and s[3] and s[1] > 0]
    floor = 10.0 ** np.floor(np.log10(min(tiny + [vanishing]) / 10))
    ceil_ = exploding * 100
    means, maxes, cols = [], [], []
    for _, mean, mx, finite, has in stats:
        if not has:
            means.append(floor), maxes.append(floor), cols.append("#dddddd")
        elif not finite:
            means.append(ceil_), maxes.append(ceil_), cols.append(EXPLODING_COLOR)
        else:
            means.append(min(max(mean, floor), ceil_))
            maxes.append(min(max(mx, floor), ceil_))
            cols.append(colors.edge_color(mean))
    ax.bar(x, maxes, color="#cfd8e3", width=0.8, label="max |grad|", zorder=1)
    ax.bar(x, means, color=cols, width=0.55, label="mean |grad|", zorder=2)
    ax.axhline(vanishing, color=VANISHING_COLOR, ls="--", lw=1, label=f"vanishing < {vanishing:g}")
    ax.axhline(exploding, color=EXPLODING_COLOR, ls="--", lw=1, label=f"exploding > {exploding:g}")
    for xi, top, (_, mean, _, finite, has) in zip(x, maxes, stats):
        note = (
            "no grad"
            if not has
            else "nan/inf"
            if not finite
            else "vanishing"
            if mean < vanishing
            else "exploding"
            if mean > exploding
            else None
        )
        if note:  # written just above the bar
            ax.annotate(
                note,
                (xi, top * 1.6),
                ha="center",
                va="bottom",
                rotation=90,
                fontsize=8,
                color="#b00000",
            )
    ax.set_yscale("log")
    ax.set_ylim(floor, ceil_ * 10)
    ax.set_xticks(
        x,
        names,
        rotation=60 if len(names) > 4 else 0,
        ha="right" if len(names) > 4 else "center",
        fontsize=8,
    )
    ax.set_xlim(-0.7, len(stats) - 0.3)
    ax.set_ylabel("gradient magnitude")
    ax.set_xlabel(("parameters" if per == "parameter" else "layers") + " (input side first)")
    ax.set_title(title)
    ax.grid(axis="y", which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    return fig
