"""``nn.utils``: gradient clipping, flat parameter vectors, and ``nn.utils.rnn`` (packed
variable-length sequences)."""

from . import rnn
from .clip_grad import clip_grad_norm_, clip_grad_value_, clip_grad_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grad_norm",
    "parameters_to_vector",
    "vector_to_parameters",
]
