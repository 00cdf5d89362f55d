"""Random number generation: one seed governs all randomness.

``autograd.manual_seed(s)`` reseeds the default generator, which every random factory,
``nn.init`` function, dropout mask and DataLoader shuffle draws from (unless given its own
``generator=``). Same seed, same program => bit-identical results.

Example:
    >>> import autograd
    >>> autograd.manual_seed(0); a = autograd.rand(3)
    >>> autograd.manual_seed(0); b = autograd.rand(3)
    >>> bool((a == b).all())
    True
"""

from __future__ import annotations

import contextvars

import numpy as np


class Generator:
    """A random generator (``torch.Generator``), backed by NumPy's PCG64."""

    def __init__(self, device="cpu"):
        from . import devices

        devices.check(device, fn="Generator")  # only the CPU has a generator here
        self._seed = 67280421310721  # torch's default seed value, for familiarity
        self._rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> "Generator":
        seed = int(seed)
        if seed < 0:
            seed &= 0xFFFF_FFFF_FFFF_FFFF
        self._seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed))
        return self

    @property
    def device(self):
        from . import devices

        return devices.CPU

    def seed(self) -> int:
        s = int(np.random.SeedSequence().entropy % (2**63))
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """The generator state as a uint8 tensor (like torch; restorable with set_state)."""
        import json
        from .factories import tensor

        raw = json.dumps(self._rng.bit_generator.state).encode()
        return tensor(list(raw), dtype="uint8")

    def set_state(self, state) -> "Generator":
        import json

        raw = bytes(np.asarray(state._data if hasattr(state, "_data") else state, np.uint8))
        self._rng.bit_generator.state = json.loads(raw.decode())
        return self

    @property
    def numpy(self) -> np.random.Generator:
        """The underlying NumPy generator (for code that needs NumPy's distributions)."""
        if _draw_hook is not None:
            _draw_hook()
        return self._rng


default_generator = Generator()


# ``autograd.func.vmap(randomness="error")`` sets this while the mapped function runs: random
# ops then raise, as in torch, instead of silently drawing per-example numbers.
_vmap_randomness = contextvars.ContextVar("vmap_randomness", default=None)


# While autograd.compile traces a call: a function called before each draw (a draw outside an
# op cannot be replayed; autograd/compiler/tracer.py). None otherwise.
_draw_hook = None


def _gen(generator=None) -> np.random.Generator:
    if _draw_hook is not None:
        _draw_hook()
    if _vmap_randomness.get() == "error":
        raise RuntimeError(
            "vmap: called random operation while in randomness error mode. Please "
            "either use the 'same' or 'different' randomness flags on vmap or "
            "perform the randomness operation out of vmap"
        )
    return (generator or default_generator)._rng


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (all randomness in autograd/nn/optim/data).

    Example:
        >>> autograd.manual_seed(42)  # doctest: +ELLIPSIS
        <autograd.random.Generator object at ...>
    """
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state) -> None:
    default_generator.set_state(state)
