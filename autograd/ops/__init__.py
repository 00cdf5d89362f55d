"""All differentiable ops, by family; ``autograd`` re-exports the families' public names.

Families (one file each, ops of one kind together; docs/architecture.md has the same list
as a "where is op X" table):

* elementwise: arithmetic (+ - * ** neg abs sign square, casts, clone), ternary (addcmul,
  addcdiv, lerp), division (div, floor_divide, remainder, fmod), unary (exp, log, sqrt,
  trigonometric, hyperbolic, erf ...: one table entry each), math (rounding, logit, polygamma, atan2,
  hypot, copysign, xlogy, nan_to_num), special (logaddexp, igamma, mvlgamma), numeric
  (gcd/lcm, bit shifts, frexp/ldexp, nextafter, heaviside), compare (comparisons, where,
  clamp, maximum/minimum, isnan/isinf, isclose, isin), logical (logical_* and bitwise_*);
* reductions: reduce (sum, mean, prod, norm, logsumexp, all/any, nansum, renorm), variance
  (var, std, var_mean, std_mean), extrema (max/min/amax/amin, argmax/argmin, median),
  cumulative (cumsum, cumprod, cummax/cummin, diff), sorting, stats (kthvalue, mode,
  quantile, cov, corrcoef), histogram (bincount, histc, histogram, histogramdd);
* shape and indexing: movement (views: expand, reshape/view, permute/transpose, squeeze,
  flatten, movedim), rearrange (repeat, tile, flip, roll), slicing (select, narrow,
  diagonal, diag, tril/triu and the *_scatter ops that invert them), join (cat/stack/split
  ...), shape (atleast_nd, rot90, block_diag, diag_embed, repeat_interleave ...), indexing
  (getitem, index_put, take/put), masking (masked_fill/select/scatter, nonzero, argwhere),
  scatter (gather, scatter, scatter_reduce, one_hot), index_dim (index_select, index_add,
  index_copy, index_fill, index_reduce), inplace (``x.add_()``, ``x[i] = v``, fill_,
  copy_), sampling (random draws and fills);
* linear algebra: linalg (matmul and its special cases, einsum, tensordot, inner/outer),
  linalg_cholesky (cholesky, triangular_solve), linalg_solve (inverses, solves, cholesky_solve),
  linalg_det (det, slogdet, logdet), linalg_func (matrix_power, matrix_exp), linalg_decomp
  (QR, SVD, eigh), linalg_lstsq (pinv, lstsq, matrix_rank, cond), linalg_norm (norms,
  cross, multi_dot, vander, kron), blas (addmm & co.), distance (cosine_similarity,
  pairwise_distance, cdist, pdist);
* networks: activation (relu, gelu, silu, elu, leaky_relu, prelu, softplus, mish ...),
  hard_activation (hardtanh, relu6, hardsigmoid, hardswish), shrink (hardshrink,
  softshrink, tanhshrink, rrelu), softmax, conv (conv1d/2d/3d), conv_transpose, fold
  (unfold/fold, pixel shuffles), pooling (max pools, max_unpool), avg_pooling (avg and lp
  pools), adaptive_pooling, rnn;
* exported by ``nn.functional`` only (torch has them there): loss (regression and
  likelihood losses), classification_loss (nll_loss, cross_entropy, binary_cross_entropy),
  margin_loss (ranking, embedding and multi-label losses), ctc, normalization (batch /
  layer / instance norm ...), vision (pad, interpolate), grid_sample (affine_grid,
  grid_sample).

See docs/adding-ops.md for how an op is written and docs/architecture.md for the layers.
"""

import sys as _sys

from ..dtypes import promote_types, result_type
from . import xp
from .registry import REGISTRY, OpInfo, Sample, register
from .arithmetic import *
from .ternary import *
from .division import *
from .unary import *
from .math import *
from .special import *
from .numeric import *
from .compare import *
from .logical import *
from .reduce import *
from .variance import *
from .extrema import *
from .cumulative import *
from .sorting import *
from .stats import *
from .histogram import *
from .movement import *
from .rearrange import *
from .slicing import *
from .join import *
from .shape import *
from .indexing import *
from .masking import *
from .scatter import *
from .index_dim import *
from .inplace import *
from .sampling import *
from .linalg import *
from .linalg_cholesky import *
from .linalg_solve import *
from .linalg_det import *
from .linalg_func import *
from .linalg_decomp import *
from .linalg_lstsq import *
from .linalg_norm import *
from .distance import *
from .blas import *
from .activation import *
from .hard_activation import *
from .shrink import *
from .softmax import *
from .conv import *
from .conv_transpose import *
from .fold import *
from .pooling import *
from .avg_pooling import *
from .adaptive_pooling import *
from .rnn import *
from ._util import sizes_arg  # (Tensor methods and nn take shapes as f(2, 3) or f((2, 3)))
from . import classification_loss, ctc, loss, margin_loss  # exported by nn.functional
from . import grid_sample, normalization, vision

FAMILIES = (
    "arithmetic",
    "ternary",
    "division",
    "unary",
    "math",
    "special",
    "numeric",
    "compare",
    "logical",
    "reduce",
    "variance",
    "extrema",
    "cumulative",
    "sorting",
    "stats",
    "histogram",
    "movement",
    "rearrange",
    "slicing",
    "join",
    "shape",
    "indexing",
    "masking",
    "scatter",
    "index_dim",
    "inplace",
    "sampling",
    "linalg",
    "linalg_cholesky",
    "linalg_solve",
    "linalg_det",
    "linalg_func",
    "linalg_decomp",
    "linalg_lstsq",
    "linalg_norm",
    "distance",
    "blas",
    "activation",
    "hard_activation",
    "shrink",
    "softmax",
    "conv",
    "conv_transpose",
    "fold",
    "pooling",
    "avg_pooling",
    "adaptive_pooling",
    "rnn",
)
FUNCTIONAL_FAMILIES = (
    "classification_loss",
    "ctc",
    "loss",
    "margin_loss",
    "normalization",
    "vision",
    "grid_sample",
)


def public_names() -> list:
    """Every public op name the families export (``autograd.<name>``)."""
    return [name for fam in FAMILIES for name in _sys.modules[f"{__name__}.{fam}"].__all__]


# what ``from autograd.ops import *`` (in autograd/__init__.py) gives: the ops only
__all__ = public_names() + ["promote_types", "result_type", "sizes_arg"]
