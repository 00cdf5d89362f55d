"""Figures that the library returns (viz.grad_flow, training.plot_histories) show as pictures
in Jupyter even when they are the first figure of the session, and exactly once.

Runs a real kernel (nbclient): the bug was in how IPython registers its figure formatter."""

import os

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = ROOT + os.pathsep + env_path
    try:
        nbclient.NotebookClient(
            nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": ROOT}}
        ).execute()
    finally:
        os.environ["PYTHONPATH"] = env_path
    return nb


@pytest.mark.slow  # ~7 s: starting a Jupyter kernel is the point of the test
def test_first_figure_of_a_session_is_a_picture_shown_once():
    nb = _run(
        [
            "import autograd\n"
            "from autograd import viz\n"
            "from autograd.training import History, plot_histories\n"
            "w = autograd.tensor([1.0, 2.0], requires_grad=True)\n"
            "(w * w).sum().backward()\n"
            "viz.grad_flow({'w': w})",
            "h = History()\nh.end_epoch({'train loss': 1.0})\nplot_histories({'run': h})",
        ]
    )
    for cell in nb.cells:
        pictures = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        assert len(pictures) == 1, cell.outputs
        assert not any(o.get("name") == "stderr" for o in cell.outputs), cell.outputs
