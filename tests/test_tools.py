"""The course's two notebook tools, tools/badges.py and tools/make_student.py, read and write
notebooks with nbformat, the way Jupyter does, so that running them never reformats a notebook:
`make badges` on the committed course changes no byte, and a notebook saved by another tool
comes out as nbformat writes it."""
import importlib.util
import json
import pathlib
import shutil
import sys

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))


def load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


badges, make_student = load("badges"), load("make_student")


def snapshot(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_is_byte_for_byte_what_nbformat_writes(path, tmp_path):
    nbformat.write(nbformat.read(path, as_version=4), tmp_path / path.name)
    assert (tmp_path / path.name).read_bytes() == path.read_bytes(), (
        f"{path.name}: nbformat would rewrite it, so `make badges` would too")


def test_make_badges_on_the_committed_course_changes_nothing(tmp_path, capsys):
    for name in ("README.md", "course.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns("runs", "*.gif"))
    before = snapshot(tmp_path)
    assert badges.main(["--root", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == "Nothing to change."
    assert snapshot(tmp_path) == before
    # Moved to a fork and back, every notebook is rewritten twice and ends byte for byte as it was.
    assert badges.main(["--root", str(tmp_path), "--repo", "teacher/fork", "--ref", "v2026.1"]) == 0
    assert snapshot(tmp_path) != before
    course = badges.load_course(ROOT)
    assert badges.main(["--root", str(tmp_path), "--repo", course.repo, "--ref", course.ref]) == 0
    assert snapshot(tmp_path) == before


def saved_by_another_tool(path):
    """A notebook as some other editor saves it: keys unsorted, sources as one string, two-space
    indent, ASCII escapes. Still a valid notebook."""
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 07 · Café\n\nSome text.", metadata={"tags": ["intro"]}),
        nbformat.v4.new_markdown_cell("## Setup"),
        nbformat.v4.new_code_cell("import numpy as np\nprint(np.pi)"),
        nbformat.v4.new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n",
                                  metadata={"nbgrader": {"grade": False, "grade_id": "ex1_code", "locked": False,
                                                         "schema_version": 3, "solution": True},
                                            "jupyter": {"source_hidden": True}}),
    ])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    data = json.loads(json.dumps(notebook))
    data = {key: data[key] for key in reversed(list(data))}
    data["cells"] = [{key: cell[key] for key in reversed(list(cell))} for cell in data["cells"]]
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    nbformat.validate(nbformat.read(path, as_version=4))
    return path


def run_badges(tmp_path):
    for name in ("README.md", "course.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    saved_by_another_tool(tmp_path / "notebooks" / "07_other.ipynb")
    assert badges.main(["--root", str(tmp_path)]) == 0
    return tmp_path / "notebooks" / "07_other.ipynb"


def run_make_student(tmp_path):
    source = saved_by_another_tool(tmp_path / "notebooks" / "07_other.ipynb")
    assert make_student.main([str(source), "--out", str(tmp_path / "student")]) == 0
    return tmp_path / "student" / "07_other.ipynb"


@pytest.mark.parametrize("tool", [run_badges, run_make_student], ids=["badges", "make_student"])
def test_a_notebook_saved_by_another_tool_comes_out_as_nbformat_writes_it(tmp_path, tool):
    (tmp_path / "notebooks").mkdir()
    written = tool(tmp_path)
    text = written.read_text(encoding="utf-8")
    notebook = nbformat.reads(text, as_version=4)
    nbformat.validate(notebook)
    assert text == nbformat.writes(notebook) + "\n"
    assert "Café" in text, "UTF-8 as it is, as Jupyter writes it"
