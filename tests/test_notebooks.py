"""The course in notebooks/: structure checks (executing the notebooks is nbmake's job, see
notebooks/conftest.py), and the course helpers in notebooks/course.py.

Every notebooks/en/NN_topic.ipynb has a notebooks/ja/ twin with the same code cells; the
Japanese markdown is Japanese; every notebook is in notebooks/README.md; no outputs are
committed; every notebook ends with a summary and exercises.
"""

import json
import pathlib
import re
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NB = ROOT / "notebooks"
sys.path.insert(0, str(NB))

import _tools  # noqa: E402
import course  # noqa: E402

EN = _tools.notebooks("en")
JA = _tools.notebooks("ja")
PAIRS = [(p, NB / "ja" / p.name) for p in EN]
IDS = [p.stem for p in EN]


def test_the_course_exists_and_is_numbered_in_order():
    assert EN, "no notebooks found in notebooks/en"
    numbers = []
    for lang in _tools.LANGS:
        for p in _tools.notebooks(lang):
            m = _tools.NAME.match(p.name)
            assert m, f"{lang}/{p.name}: notebooks are named NN_topic.ipynb (lower case, digits, _)"
            if lang == "en":
                numbers.append(int(m.group(1)))
    assert numbers == list(range(1, len(numbers) + 1)), f"numbers must run 1, 2, 3 ...: {numbers}"
    assert not list(NB.glob("*.ipynb")), "notebooks live in notebooks/en and notebooks/ja"


def test_every_notebook_has_a_twin_in_the_other_language():
    en, ja = {p.name for p in EN}, {p.name for p in JA}
    assert en == ja, f"only in en/: {sorted(en - ja)}; only in ja/: {sorted(ja - en)}"


@pytest.mark.parametrize("en, ja", PAIRS, ids=IDS)
def test_twins_have_identical_code_cells(en, ja):
    a, b = _tools.code_cells(_tools.read(en)), _tools.code_cells(_tools.read(ja))
    for i, (x, y) in enumerate(zip(a, b)):
        assert x == y, f"code cell {i + 1} differs between en/ and ja/ {en.name}:\n{x}\n---\n{y}"
    assert len(a) == len(b), f"{en.name}: {len(a)} code cells in en/, {len(b)} in ja/"


@pytest.mark.parametrize("en, ja", PAIRS, ids=IDS)
def test_japanese_markdown_is_japanese_and_english_is_english(en, ja):
    ja_cells = _tools.markdown_cells(_tools.read(ja))
    frac, letters = _tools.japanese_fraction("\n".join(ja_cells))
    assert letters > 500 and frac > 0.75, (
        f"ja/{ja.name}: only {frac:.0%} of {letters} letters are kana/kanji"
    )
    for i, text in enumerate(ja_cells):
        f, n = _tools.japanese_fraction(text)
        assert n < 40 or f > 0.5, (
            f"ja/{ja.name}, markdown cell {i + 1} is mostly not Japanese:\n{text}"
        )
    frac_en, _ = _tools.japanese_fraction("\n".join(_tools.markdown_cells(_tools.read(en))))
    assert frac_en < 0.02, f"en/{en.name} holds Japanese text"


def test_japanese_fraction_ignores_code_math_and_links():
    assert _tools.japanese_fraction(
        "勾配消失は `nn.Sigmoid` と $\\sigma'(x)$ で [図](figure.png) 起きる"
    ) == (1.0, 11)
    frac, _ = _tools.japanese_fraction("The gradient vanishes 勾配")
    assert frac < 0.2


@pytest.mark.parametrize("path", EN + JA, ids=[f"{p.parent.name}/{p.stem}" for p in EN + JA])
def test_no_outputs_are_committed(path):
    nb = _tools.read(path)
    import nbformat

    nbformat.validate(nbformat.from_dict(nb))
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, (
                f"{path.parent.name}/{path.name} cell {i}: clear the outputs before committing "
                "(Jupyter: Edit > Clear Outputs of All Cells)"
            )
    assert "widgets" not in nb["metadata"]


def test_every_notebook_is_in_the_course_index():
    index = (NB / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\(((?:en|ja)/[^)]+\.ipynb)\)", index))
    expected = {f"{p.parent.name}/{p.name}" for p in EN + JA}
    assert expected <= linked, f"not in notebooks/README.md: {sorted(expected - linked)}"
    assert linked <= expected, (
        f"notebooks/README.md links to missing notebooks: {sorted(linked - expected)}"
    )
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "notebooks/README.md" in readme and "bash scripts/course_html.sh" in readme


@pytest.mark.parametrize("en, ja", PAIRS, ids=IDS)
def test_notebooks_start_with_course_setup_and_end_with_summary_and_exercises(en, ja):
    code = _tools.code_cells(_tools.read(en))
    assert "import course" in code[0] and "course.setup(" in code[0], (
        f"{en.name}: the first code cell imports course and calls course.setup(...) "
        "(seeds, plot defaults, and the shortened run under CI)"
    )
    for path, summary, exercises in (
        (en, "## Summary", "## Exercises"),
        (ja, "## まとめ", "## 演習問題"),
    ):
        last = _tools.markdown_cells(_tools.read(path))[-1]
        assert summary in last and exercises in last, (
            f"{path.parent.name}/{path.name}: the last markdown cell has '{summary}' and '{exercises}'"
        )
        tail = last.split(exercises, 1)[1]
        assert 2 <= len(re.findall(r"^\d+\. ", tail, re.M)) <= 4, f"{path.name}: 2-3 exercises"


def test_output_problems_finds_errors_warnings_and_stderr():
    def nb(*outputs):
        return {"cells": [{"cell_type": "code", "outputs": list(outputs), "source": ""}]}

    assert (
        _tools.output_problems(
            nb({"output_type": "stream", "name": "stdout", "text": "loss 0.3\n"})
        )
        == []
    )
    assert _tools.output_problems(nb({"output_type": "stream", "name": "stderr", "text": "x"}))
    assert _tools.output_problems(
        nb({"output_type": "error", "ename": "ValueError", "evalue": "v", "traceback": []})
    )
    warned = nb(
        {
            "output_type": "stream",
            "name": "stdout",
            "text": "ok\n/x.py:3: RuntimeWarning: overflow encountered in exp\n",
        }
    )
    assert _tools.output_problems(warned) == [
        (0, "/x.py:3: RuntimeWarning: overflow encountered in exp")
    ]
    assert _tools.output_problems(
        nb(
            {
                "output_type": "execute_result",
                "data": {"text/plain": "Traceback (most recent call last):"},
            }
        )
    )


# ---- notebooks/course.py ------------------------------------------------------------------------


def test_setup_picks_the_short_run_under_ci(monkeypatch, capsys):
    monkeypatch.setattr(course, "CI", False)
    cfg = course.setup(epochs=(8, 2), n=(1000, 100))
    assert (cfg.epochs, cfg.n) == (8, 1000)
    assert capsys.readouterr().out == "full run: epochs=8, n=1000 (with CI set: epochs=2, n=100)\n"
    monkeypatch.setattr(course, "CI", True)
    assert course.setup(epochs=(8, 2)).epochs == 2
    assert capsys.readouterr().out.startswith("CI is set: shortened run: epochs=2")
    assert course.setup() is None
    with pytest.raises(TypeError, match="pair"):
        course.setup(epochs=8)


def test_load_images_falls_back_to_digits(tmp_path, capsys):
    d = course.load_images(n_train=300, n_test=100, root=str(tmp_path))  # no IDX files there
    assert "using scikit-learn's 8x8 digits instead" in capsys.readouterr().out
    assert d.name.startswith("digits") and d.side == 8 and len(d.classes) == 10
    assert tuple(d.x_train.shape) == (300, 64) and tuple(d.x_test.shape) == (100, 64)
    assert str(d.x_train.dtype) == "autograd.float32" and str(d.y_train.dtype) == "autograd.int64"
    x = d.x_train.numpy()
    assert abs(x.mean()) < 1e-5 and abs(x.std() - 1) < 1e-4  # normalised by the train subset
    again = course.load_images(n_train=300, n_test=100, root=str(tmp_path), flatten=False)
    np.testing.assert_array_equal(again.x_train.numpy().reshape(300, -1), x)  # same subset
    assert tuple(again.x_train.shape) == (300, 1, 8, 8)
    xb, yb = next(iter(d.train_loader(batch_size=32)))
    assert tuple(xb.shape) == (32, 64) and tuple(yb.shape) == (32,)
    assert "300 training and 100 test images of 8x8" in repr(d)


def test_load_images_reads_idx_files(tmp_path, monkeypatch):
    import gzip
    import struct

    rng = np.random.default_rng(0)
    for prefix, n in (("train", 20), ("t10k", 10)):
        imgs = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        with gzip.open(tmp_path / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(struct.pack(">BBBBIII", 0, 0, 8, 3, n, 28, 28) + imgs.tobytes())
        with gzip.open(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(
                struct.pack(">BBBBI", 0, 0, 8, 1, n)
                + (np.arange(n) % 10).astype(np.uint8).tobytes()
            )
    d = course.load_images(root=str(tmp_path))
    assert d.name == "Fashion-MNIST" and d.side == 28 and d.classes[0] == "T-shirt/top"
    monkeypatch.setenv("FASHION_MNIST_ROOT", str(tmp_path))  # the same files, found by name
    train, test = course.image_datasets()
    assert len(train) == 20 and len(test) == 10
    monkeypatch.setenv("FASHION_MNIST_ROOT", str(tmp_path / "empty"))
    assert course.load_images().name.startswith("digits")
    assert tuple(d.x_train.shape) == (20, 784) and d.y_test.numpy().tolist() == list(range(10))


def test_table_renders_text_and_html():
    t = course.table([["adam", 0.91234], ["sgd", 0.5]], ["optimizer", "accuracy"], floatfmt=".2f")
    assert repr(t).splitlines() == [
        "optimizer  accuracy",
        "     adam      0.91",
        "      sgd      0.50",
    ]
    assert "<td>0.91</td>" in t._repr_html_() and "<th>optimizer</th>" in t._repr_html_()


def test_committed_notebooks_are_valid_json_with_a_python_kernel():
    for p in EN + JA:
        meta = json.loads(p.read_text(encoding="utf-8"))["metadata"]
        assert meta["kernelspec"]["name"] == "python3", p
