"""Convolution layers: ``Conv1d/2d/3d`` and ``ConvTranspose1d/2d/3d`` (mirror ``torch.nn``).

The layers only hold the parameters and the hyper-parameters; the differentiable work is
done by ``autograd.conv1d`` / ``conv2d`` / ``conv3d`` and ``autograd.conv_transpose1d`` /
``conv_transpose2d`` / ``conv_transpose3d``.

Parameter names, shapes, default initialisation and ``repr`` are PyTorch's:

* ``weight``: ``(out_channels, in_channels // groups, *kernel_size)`` for convolutions,
  ``(in_channels, out_channels // groups, *kernel_size)`` for transposed convolutions;
* ``bias``: ``(out_channels,)``;
* both drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with ``fan_in = weight.size(1) *
  prod(kernel_size)`` (this is what ``kaiming_uniform_(a=sqrt(5))`` amounts to).

Example:
    >>> conv = nn.Conv2d(1, 16, 3)
    >>> conv
    Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1))
    >>> conv(autograd.randn(8, 1, 28, 28)).shape
    autograd.Size([8, 16, 26, 26])
"""

from __future__ import annotations

import math

import autograd

from .. import init
from ..module import Module
from ..parameter import Parameter
from .utils import _ntuple, _pair, _single, _triple  # torch has them here too

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]


def _reverse_repeat_tuple(t, n):
    """(1, 2) -> (2, 2, 1, 1): per-dim paddings in the last-dim-first order ``F.pad`` wants."""
    return tuple(x for x in reversed(t) for _ in range(n))


_PADDING_STRINGS = {"same", "valid"}
_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


class _ConvNd(Module):
    """Shared constructor, initialisation and ``repr`` of the convolution layers."""

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding,
        dilation,
        transposed,
        output_padding,
        groups,
        bias,
        padding_mode,
        device=None,
        dtype=None,
    ):
        super().__init__()
        name = type(self).__name__
        for arg, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name}: {arg} must be a positive integer, got {value!r}")
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in _PADDING_STRINGS:
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of {_PADDING_STRINGS}"
                )
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {_PADDING_MODES}, but got "
                f"padding_mode='{padding_mode}'"
            )
        if any(k <= 0 for k in kernel_size):
            raise ValueError(f"{name}: kernel_size must be positive, got {kernel_size}")

        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode

        # F.pad-style padding (last dim first, left then right). For 'same' with an even
        # effective kernel the two sides differ (torch puts the extra element on the right).
        if isinstance(padding, str):
            self._reversed_padding_repeated_twice = [0, 0] * len(kernel_size)
            if padding == "same":
                for d, k, i in zip(dilation, kernel_size, range(len(kernel_size) - 1, -1, -1)):
                    total = d * (k - 1)
                    left = total // 2
                    self._reversed_padding_repeated_twice[2 * i] = left
                    self._reversed_padding_repeated_twice[2 * i + 1] = total - left
        else:
            self._reversed_padding_repeated_twice = list(_reverse_repeat_tuple(padding, 2))

        if transposed:
            shape = (in_channels, out_channels // groups, *kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *kernel_size)
        self.weight = Parameter(autograd.empty(shape, dtype=dtype, device=device))
        self._register_optional(
            "bias", bias, lambda: autograd.empty(out_channels, dtype=dtype, device=device)
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: kaiming_uniform_(a=sqrt(5)) for the weight, which is
        U(-1/sqrt(fan_in), 1/sqrt(fan_in)); the bias uses the same bound."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        if self.padding != (0,) * len(self.kernel_size):
            s += ", padding={padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += ", dilation={dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += ", padding_mode={padding_mode}"
        return s.format(**self.__dict__)

    def _pad_and_padding(self, input):
        """(input, padding) for the functional convolution: zero padding (numbers, 'same',
        'valid') is done by the convolution itself; other modes pad explicitly first."""
        if self.padding_mode == "zeros":
            return input, self.padding
        from .. import functional as F

        padded = F.pad(input, tuple(self._reversed_padding_repeated_twice), mode=self.padding_mode)
        return padded, (0,) * len(self.kernel_size)


class _Conv(_ConvNd):
    """Conv1d, Conv2d and Conv3d: ``kernel_size``, ``stride``, ``padding`` and ``dilation`` are
    ints or n-tuples (``_ntuple`` makes the n-tuples), ``padding`` may also be 'valid' or
    'same'; ``_conv`` is the function (``autograd.conv1d`` / ``conv2d`` / ``conv3d``)."""

    _ntuple = staticmethod(_single)
    _conv = staticmethod(autograd.conv1d)

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        n = self._ntuple
        super().__init__(
            in_channels,
            out_channels,
            n(kernel_size),
            n(stride),
            padding if isinstance(padding, str) else n(padding),
            n(dilation),
            False,
            n(0),
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )

    def _conv_forward(self, input, weight, bias):
        input, padding = self._pad_and_padding(input)
        return self._conv(input, weight, bias, self.stride, padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """1-D convolution over an input of shape ``(N, C_in, L)`` or ``(C_in, L)``.

    Example:
        >>> nn.Conv1d(4, 8, 3, padding="same")(autograd.randn(2, 4, 10)).shape
        autograd.Size([2, 8, 10])
    """


class Conv2d(_Conv):
    """2-D convolution over an input of shape ``(N, C_in, H, W)`` or ``(C_in, H, W)``.

    ``padding`` is an int, a pair, ``'valid'`` (no padding) or ``'same'`` (output as large as
    the input; stride 1 only); ``padding_mode`` is 'zeros', 'reflect', 'replicate' or
    'circular'.

    Example:
        >>> conv = nn.Conv2d(3, 6, kernel_size=3, padding=1, bias=False)
        >>> conv(autograd.randn(2, 3, 5, 5)).shape
        autograd.Size([2, 6, 5, 5])
    """

    _ntuple = staticmethod(_pair)
    _conv = staticmethod(autograd.conv2d)


class Conv3d(_Conv):
    """3-D convolution over an input of shape ``(N, C_in, D, H, W)`` or ``(C_in, D, H, W)``
    (videos, medical volumes).

    Example:
        >>> conv = nn.Conv3d(2, 4, kernel_size=3, padding=1)
        >>> conv(autograd.randn(1, 2, 5, 6, 6)).shape
        autograd.Size([1, 4, 5, 6, 6])
    """

    _ntuple = staticmethod(_triple)
    _conv = staticmethod(autograd.conv3d)


class _ConvTransposeNd(_ConvNd):
    """Shared constructor and ``output_size`` rule of the transposed convolutions."""

    _nd = 2

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        bias=True,
        dilation=1,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        if isinstance(padding, str):
            raise ValueError(
                f"{type(self).__name__}: padding must be an int or a tuple of "
                f"ints, got {padding!r} (string paddings are only for Conv layers)"
            )
        tup = _ntuple(self._nd)
        super().__init__(
            in_channels,
            out_channels,
            tup(kernel_size),
            tup(stride),
            tup(padding),
            tup(dilation),
            True,
            tup(output_padding),
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )

    def _output_padding(self, input, output_size):
        """The output_padding that makes the output exactly ``output_size`` (torch's rule)."""
        num_spatial_dims = self._nd
        if output_size is None:
            return self.output_padding
        has_batch_dim = input.dim() == num_spatial_dims + 2
        num_non_spatial = 2 if has_batch_dim else 1
        output_size = tuple(output_size)
        if len(output_size) == num_non_spatial + num_spatial_dims:
            output_size = output_size[num_non_spatial:]
        if len(output_size) != num_spatial_dims:
            raise ValueError(
                f"ConvTranspose{num_spatial_dims}D: for {input.dim()}D input, output_size must "
                f"have {num_spatial_dims} or {num_non_spatial + num_spatial_dims} elements "
                f"(got {len(output_size)})"
            )
        min_sizes, max_sizes = [], []
        for d in range(num_spatial_dims):
            size = (
                (input.size(d + num_non_spatial) - 1) * self.stride[d]
                - 2 * self.padding[d]
                + self.dilation[d] * (self.kernel_size[d] - 1)
                + 1
            )
            min_sizes.append(size)
            max_sizes.append(size + self.stride[d] - 1)
        for size, lo, hi in zip(output_size, min_sizes, max_sizes):
            if size < lo or size > hi:
                raise ValueError(
                    f"requested an output size of {list(output_size)}, but valid sizes range "
                    f"from {min_sizes} to {max_sizes} (for an input of "
                    f"{list(input.shape[num_non_spatial:])})"
                )
        return tuple(output_size[d] - min_sizes[d] for d in range(num_spatial_dims))

    def forward(self, input, output_size=None):
        output_padding = self._output_padding(input, output_size)
        conv_transpose = getattr(autograd, f"conv_transpose{self._nd}d")
        return conv_transpose(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
        )


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution (the gradient of ``Conv1d`` w.r.t. its input) over
    ``(N, C_in, L)`` or ``(C_in, L)``. ``forward(input, output_size=None)``.

    Example:
        >>> nn.ConvTranspose1d(4, 2, kernel_size=3, stride=2)(autograd.randn(1, 4, 5)).shape
        autograd.Size([1, 2, 11])
    """

    _nd = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution (the gradient of ``Conv2d`` w.r.t. its input), often used
    to upsample. ``forward(input, output_size=None)``: ``output_size`` picks among the sizes
    a strided transposed convolution can produce.

    Example:
        >>> up = nn.ConvTranspose2d(4, 2, kernel_size=2, stride=2)
        >>> up(autograd.randn(1, 4, 3, 3)).shape
        autograd.Size([1, 2, 6, 6])
    """

    _nd = 2


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution over ``(N, C_in, D, H, W)`` or ``(C_in, D, H, W)``.
    ``forward(input, output_size=None)``.

    Example:
        >>> up = nn.ConvTranspose3d(4, 2, kernel_size=2, stride=2)
        >>> up(autograd.randn(1, 4, 2, 3, 3)).shape
        autograd.Size([1, 2, 4, 6, 6])
    """

    _nd = 3
