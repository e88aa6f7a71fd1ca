"""Every committed notebook is clean: run top to bottom, no errors, no stderr, no machine paths.

The same rules as the course's shared check_notebooks.py, so a dirty notebook fails CI.
"""
import json
import os
import pathlib
import re
import tempfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
MACHINE_PATHS = [str(ROOT), os.path.expanduser("~"), tempfile.gettempdir(), "/home/", "site-packages"]
PATH_RE = re.compile("|".join(re.escape(p) for p in sorted(set(MACHINE_PATHS), key=len, reverse=True) if len(p) > 1))


def output_text(output):
    parts = [output.get("text", "")]
    for key in ("text/plain", "text/html", "text/markdown"):
        parts.append(output.get("data", {}).get(key, ""))
    return "\n".join("".join(p) if isinstance(p, list) else p for p in parts)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean(path):
    assert path.stat().st_size <= 2 * 1024 * 1024, "notebook over 2 MB"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4
    code_cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    counts = [c.get("execution_count") for c in code_cells]
    assert counts == list(range(1, len(code_cells) + 1)), "re-run top to bottom in a fresh kernel (make notebooks)"
    for number, cell in enumerate(code_cells, start=1):
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", f"cell {number}: error output"
            assert not (output["output_type"] == "stream" and output.get("name") == "stderr"), (
                f"cell {number}: stderr output {output_text(output)[:100]!r}")
            match = PATH_RE.search(output_text(output))
            assert match is None, f"cell {number}: machine path {match.group(0)!r} in output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_checks_some_outputs_and_asserts_its_outcome(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    assert sum(s.lstrip().startswith("# NBVAL_CHECK_OUTPUT") for s in sources) >= 2
    assert any(re.search(r"^\s*assert ", s, re.M) for s in sources), "the notebook asserts nothing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_progress_bars_show_how_they_ended(path):
    """GitHub shows a widget's text form: a finished bar must read 100%, not the "0%" it started at."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for number, cell in enumerate((c for c in notebook["cells"] if c["cell_type"] == "code"), start=1):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "application/vnd.jupyter.widget-view+json" not in data:
                continue
            text = "".join(data.get("text/plain", ""))
            if re.search(r"\d+%\|", text):
                assert "100%|" in text, f"cell {number}: a progress bar saved as {text[:60]!r}"
