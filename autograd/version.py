"""``torch.version``: the versions scripts print (no CUDA or ROCm here)."""

from . import __version__ as _jitgrad_version

__version__ = _jitgrad_version
cuda = None
hip = None
debug = False
git_version = ""
