"""Data transforms and augmentation (torchvision.transforms-style), for images as tensors.

``ToTensor`` turns a uint8 ``HxW`` / ``HxWxC`` array into a float ``CxHxW`` tensor in [0, 1];
the random transforms work on ``CxHxW`` (or ``HxW``) tensors and draw from
``autograd.manual_seed``'s generator, so augmentation is reproducible.

Example:
    >>> import numpy as np
    >>> from autograd import transforms as T
    >>> tf = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])
    >>> tf(np.zeros((28, 28), np.uint8)).shape
    autograd.Size([1, 28, 28])
"""

from __future__ import annotations

import math

import numpy as np

from .random import _gen
from .tensor import Tensor
from .dtypes import FLOAT_KINDS

__all__ = [
    "Compose",
    "ToTensor",
    "Normalize",
    "RandomHorizontalFlip",
    "RandomCrop",
    "RandomRotation",
    "GaussianNoise",
    "Lambda",
]


def _arr(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _like(x, arr):
    return Tensor._make(np.ascontiguousarray(arr)) if isinstance(x, Tensor) else arr


class Compose:
    """Apply transforms one after another."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self):
        inner = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"Compose({inner}\n)"


class Lambda:
    """Wrap any function as a transform."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, x):
        return self.fn(x)


class ToTensor:
    """uint8 HxW(xC) array -> float32 CxHxW tensor scaled to [0, 1]; floats kept as they are."""

    def __call__(self, pic):
        a = _arr(pic)
        if a.ndim == 2:
            a = a[None]
        elif a.ndim == 3 and not isinstance(pic, Tensor):
            a = a.transpose(2, 0, 1)  # HWC -> CHW
        if a.dtype == np.uint8:
            a = a.astype(np.float32) / 255.0
        else:
            a = a.astype(np.float32)
        return Tensor._make(np.ascontiguousarray(a))

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """(x - mean) / std per channel."""

    def __init__(self, mean, std):
        self.mean = np.asarray(mean, np.float32)
        self.std = np.asarray(std, np.float32)
        if np.any(self.std == 0):
            raise ValueError(
                f"std evaluated to zero after conversion to float32, leading to "
                f"division by zero: std={std}"
            )

    def __call__(self, x):
        a = _arr(x)
        shape = (-1,) + (1,) * (a.ndim - 1) if a.ndim >= 3 else (-1,) + (1,) * max(a.ndim - 1, 0)
        out = (a - self.mean.reshape(shape)) / self.std.reshape(shape)
        return _like(x, out.astype(a.dtype if a.dtype.kind in FLOAT_KINDS else np.float32))

    def __repr__(self):
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


class RandomHorizontalFlip:
    """Flip the last (width) axis with probability ``p``."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, x):
        if _gen().random() < self.p:
            return _like(x, _arr(x)[..., ::-1])
        return x

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"


class RandomCrop:
    """Pad by ``padding`` (zeros) then crop a random ``size`` window."""

    def __init__(self, size, padding=0):
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.padding = padding

    def __call__(self, x):
        a = _arr(x)
        p = self.padding
        if p:
            pad = [(0, 0)] * (a.ndim - 2) + [(p, p), (p, p)]
            a = np.pad(a, pad)
        h, w = a.shape[-2:]
        th, tw = self.size
        if th > h or tw > w:
            raise ValueError(
                f"Required crop size {self.size} is larger than input image size {(h, w)}"
            )
        i = int(_gen().integers(0, h - th + 1))
        j = int(_gen().integers(0, w - tw + 1))
        return _like(x, a[..., i : i + th, j : j + tw])

    def __repr__(self):
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomRotation:
    """Rotate by an angle uniform in [-degrees, degrees] about the centre (bilinear, zero fill)."""

    def __init__(self, degrees):
        self.degrees = (-degrees, degrees) if isinstance(degrees, (int, float)) else tuple(degrees)

    def __call__(self, x):
        a = _arr(x)
        angle = math.radians(_gen().uniform(*self.degrees))
        h, w = a.shape[-2:]
        cy, cx = (h - 1) / 2, (w - 1) / 2
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
        # inverse mapping: for every output pixel, where does it come from in the input?
        c, s = math.cos(angle), math.sin(angle)
        sy = c * (yy - cy) - s * (xx - cx) + cy
        sx = s * (yy - cy) + c * (xx - cx) + cx
        y0, x0 = np.floor(sy).astype(int), np.floor(sx).astype(int)
        fy, fx = sy - y0, sx - x0
        src = a.astype(np.float64)
        out = np.zeros_like(src)
        for dy, dx, wgt in (
            (0, 0, (1 - fy) * (1 - fx)),
            (0, 1, (1 - fy) * fx),
            (1, 0, fy * (1 - fx)),
            (1, 1, fy * fx),
        ):
            yi, xi = y0 + dy, x0 + dx
            ok = (yi >= 0) & (yi < h) & (xi >= 0) & (xi < w)
            vals = src[..., np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)]
            out += np.where(ok, vals, 0.0) * wgt
        if a.dtype == np.uint8:
            out = np.clip(np.round(out), 0, 255)
        return _like(x, out.astype(a.dtype))

    def __repr__(self):
        return f"RandomRotation(degrees={self.degrees})"


class GaussianNoise:
    """Add N(0, std**2) noise (floating inputs)."""

    def __init__(self, std=0.1, mean=0.0):
        self.std, self.mean = std, mean

    def __call__(self, x):
        a = _arr(x)
        if a.dtype.kind not in FLOAT_KINDS:
            raise TypeError("GaussianNoise expects a floating tensor; apply ToTensor() first")
        noise = self.mean + self.std * _gen().standard_normal(a.shape)
        return _like(x, (a + noise).astype(a.dtype))

    def __repr__(self):
        return f"GaussianNoise(mean={self.mean}, std={self.std})"
