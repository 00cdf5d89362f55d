"""Gradient-magnitude colours: a log-scale colour map plus vanishing/exploding flags.

A gradient is summarised by one number, its *magnitude*: the mean absolute value
(for a scalar, just ``|g|``). Magnitudes span many orders of magnitude in a deep
network, so colours follow ``log10(magnitude)``:

* below ``vanishing`` (default 1e-6): flagged **vanishing** (grey, dashed);
* above ``exploding`` (default 1e3): flagged **exploding** (red, bold);
* any NaN/inf in the gradient: flagged **non-finite** (red fill);
* in between: a perceptual colour ramp (viridis anchors) from dark blue (small) to
  yellow (large).

Example:
    >>> from autograd.viz.colors import GradColors
    >>> c = GradColors()
    >>> c.classify(1e-9), c.classify(1.0), c.classify(float("inf"))
    ('vanishing', 'ok', 'nonfinite')
"""

from __future__ import annotations

import math

import numpy as np
from ..dtypes import FLOAT_KINDS

# viridis at 0, .25, .5, .75, 1 (dark blue -> teal -> green -> yellow)
_RAMP = (
    (0x44, 0x01, 0x54),
    (0x3B, 0x52, 0x8B),
    (0x21, 0x91, 0x8C),
    (0x5E, 0xC9, 0x62),
    (0xFD, 0xE7, 0x25),
)

VANISHING_COLOR = "#9e9e9e"  # grey: almost no signal reaches this part of the graph
EXPLODING_COLOR = "#d62728"  # red
NONFINITE_FILL = "#ffb3b3"
NO_GRAD_COLOR = "#5f6b7a"  # neutral slate for "no gradient known"

FLAG_TEXT = {
    "vanishing": "\u25bc vanishing",
    "exploding": "\u25b2 exploding",
    "nonfinite": "\u26a0 non-finite",
}


def _hex(rgb):
    return "#%02x%02x%02x" % tuple(int(round(c)) for c in rgb)


def _mix(a, b, t):
    return tuple(x + (y - x) * t for x, y in zip(a, b))


def magnitude(arr) -> tuple[float, bool]:
    """(mean |g|, all finite) of a gradient array; NaN/inf never raise warnings."""
    a = np.asarray(arr)
    if a.size == 0:
        return 0.0, True
    if a.dtype.kind not in "fc":
        a = a.astype(np.float64)
    finite = bool(np.isfinite(a).all())
    if not finite:
        return math.inf, False
    with np.errstate(all="ignore"):  # float16 sums may overflow: measure in float64
        return float(
            np.mean(np.abs(a, dtype=np.float64) if a.dtype.kind in FLOAT_KINDS else np.abs(a))
        ), True


class GradColors:
    """Maps gradient magnitudes to colours on a log scale between two thresholds."""

    def __init__(self, vanishing: float = 1e-6, exploding: float = 1e3):
        if not (0 < vanishing < exploding):
            raise ValueError(
                f"viz: need 0 < vanishing < exploding, got vanishing={vanishing}, "
                f"exploding={exploding}"
            )
        self.vanishing = float(vanishing)
        self.exploding = float(exploding)
        self._lo = math.log10(self.vanishing)
        self._hi = math.log10(self.exploding)

    def classify(self, mag: float, finite: bool = True) -> str:
        """'nonfinite', 'vanishing', 'exploding' or 'ok'."""
        if not finite or not math.isfinite(mag):
            return "nonfinite"
        if mag < self.vanishing:
            return "vanishing"
        if mag > self.exploding:
            return "exploding"
        return "ok"

    def position(self, mag: float) -> float:
        """Where ``mag`` sits on the colour bar, 0 (vanishing end) .. 1 (exploding end)."""
        if not (mag > 0) or not math.isfinite(mag):
            return 0.0 if not (mag > 0) else 1.0
        t = (math.log10(mag) - self._lo) / (self._hi - self._lo)
        return min(1.0, max(0.0, t))

    def ramp(self, t: float) -> str:
        t = min(1.0, max(0.0, t)) * (len(_RAMP) - 1)
        i = min(int(t), len(_RAMP) - 2)
        return _hex(_mix(_RAMP[i], _RAMP[i + 1], t - i))

    def edge_color(self, mag: float, finite: bool = True) -> str:
        """Strong colour for edges and node borders."""
        kind = self.classify(mag, finite)
        if kind == "vanishing":
            return VANISHING_COLOR
        if kind in ("exploding", "nonfinite"):
            return EXPLODING_COLOR
        return self.ramp(self.position(mag))

    def fill_color(self, mag: float, finite: bool = True) -> str:
        """Light tint of the edge colour so black text stays readable on it."""
        kind = self.classify(mag, finite)
        if kind == "nonfinite":
            return NONFINITE_FILL
        if kind == "vanishing":
            return "#eeeeee"
        rgb = tuple(int(self.edge_color(mag, finite)[k : k + 2], 16) for k in (1, 3, 5))
        return _hex(_mix(rgb, (255, 255, 255), 0.62))

    def ticks(self):
        """Decades shown under the legend's colour bar: [(label, colour), ...]."""
        lo, hi = math.ceil(self._lo), math.floor(self._hi)
        step = max(1, (hi - lo) // 5)
        return [(f"1e{e}", self.ramp(self.position(10.0**e))) for e in range(lo, hi + 1, step)]
