"""Shared helpers of the distributions' sampling tests: Kolmogorov-Smirnov goodness of fit of
samples drawn at fixed seeds (the test modules skip themselves without SciPy)."""

import numpy as np

N = 4000  # samples per check: enough for the KS test to see a slightly wrong distribution


def ks_pvalue(sample, cdf):
    """The KS test's p-value of ``sample`` (any shape, flattened) against ``cdf``."""
    from scipy import stats

    return stats.kstest(np.asarray(sample, np.float64).ravel(), cdf).pvalue


def assert_samples_fit(cases):
    """Both ``sample`` and ``rsample`` of each distribution in ``cases`` (pairs of a
    distribution and the cdf its samples should follow) pass the KS test at p > 1e-3."""
    for d, cdf in cases:
        for draw in (d.sample, d.rsample):
            p = ks_pvalue(draw((N,)).detach().numpy(), cdf)
            assert p > 1e-3, (repr(d), draw.__name__, p)
