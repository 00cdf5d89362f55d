"""``torch.backends.cpu``: the CPU's vector capability, as torch names it."""


def get_cpu_capability() -> str:
    """``"AVX512"``, ``"AVX2"`` or ``"DEFAULT"``, read from the CPU flags (Linux)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return "DEFAULT"
    if " avx512f" in flags:
        return "AVX512"
    return "AVX2" if " avx2" in flags else "DEFAULT"
