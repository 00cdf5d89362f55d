"""Matplotlib figures made without pyplot, that still show as pictures in Jupyter.

``viz.grad_flow`` and ``training.plot_histories`` return a ``matplotlib.figure.Figure`` built
without pyplot, so that it shows exactly once in a notebook (pyplot would show it a second
time at the end of the cell) and needs no display elsewhere. Jupyter draws such a figure
with the PNG formatter that IPython registers when pyplot first switches to the inline
backend; if our figure is the first of the session, that has not happened yet and the
notebook shows ``<Figure size ...>`` instead of the picture. ``new_figure`` makes that
switch first (only inside IPython, and only while pyplot has no open figure, since
switching backends closes them).
"""

from __future__ import annotations

import sys


def new_figure(**kwargs):
    """``matplotlib.figure.Figure(**kwargs)``, displayable in Jupyter even as the first figure."""
    from matplotlib.figure import Figure

    _activate_inline_display(Figure)
    return Figure(**kwargs)


def _activate_inline_display(figure_type) -> None:
    ipython = sys.modules.get("IPython")  # never import IPython ourselves (scripts, tests)
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return
    png = shell.display_formatter.formatters.get("image/png")
    try:
        png.lookup_by_type(figure_type)
        return  # IPython already draws Figures
    except (KeyError, AttributeError):
        pass
    import matplotlib.pyplot as plt

    if not plt.get_fignums():
        plt.switch_backend(plt.get_backend())  # IPython's hook registers the Figure formatters
