"""Error types. Each subclasses the built-ins a user would naturally catch.

PyTorch raises ``RuntimeError`` for most mistakes; Python code often expects ``ValueError``
or ``TypeError``. Our shape and dtype errors are both, so either ``except`` works.
"""


class ShapeError(RuntimeError, ValueError):
    """Shapes that do not fit together (broadcasting, matmul, reshape ...)."""


class DTypeError(RuntimeError, TypeError):
    """A dtype an op cannot take, or two dtypes that must match and do not."""


class GraphError(RuntimeError):
    """Misuse of the autograd graph (second backward, in-place on a saved tensor ...)."""


class CheckpointError(RuntimeError, ValueError):
    """A checkpoint file that cannot be loaded (corrupt, truncated, mismatched, not ours)."""


def shape_str(shape) -> str:
    """``(2, 3)`` -> ``[2, 3]``, the way PyTorch prints sizes in messages."""
    return "[" + ", ".join(str(int(s)) for s in shape) + "]"
