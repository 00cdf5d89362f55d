"""``torch.backends.mps`` of a build without Apple's Metal backend."""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
