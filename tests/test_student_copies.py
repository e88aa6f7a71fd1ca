"""Exercises in every notebook; `make student`: solutions out, nbgrader's stubs in, and a student
copy still runs top to bottom, with every checker saying "not done yet". What is a solution comes
from nbgrader's cell metadata, which `nbgrader generate_assignment` reads too (tools/nbgrader_check.py
runs nbgrader itself, in CI)."""
import json
import pathlib
import re
import sys

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import make_student  # noqa: E402
from notebook_io import CHECKER_CALL, is_graded, is_solution, nbgrader_metadata  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
QUESTION = re.compile(r"^\*\*(\d+)\. ")


def cells_of(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def text(cell):
    return "".join(cell["source"])


def printed(cell):
    return "".join("".join(o.get("text", "")) for o in cell["outputs"])


def exercise_section(cells):
    start = next(i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and text(c).startswith("## Exercises"))
    return cells[start:]


def is_checker(cell):
    return cell["cell_type"] == "code" and CHECKER_CALL.search(text(cell)) is not None


def solution_lines(cell):
    """The lines a student copy must not contain: a cell's solution body (or the whole cell)."""
    lines = text(cell).splitlines()
    if make_student.BEGIN in [l.strip() for l in lines]:
        inside, body = False, []
        for line in lines:
            if line.strip() in (make_student.BEGIN, make_student.END):
                inside = line.strip() == make_student.BEGIN
            elif inside:
                body.append(line)
        lines = body
    return [l.strip() for l in lines if len(l.strip()) > 12 and not l.strip().startswith("#")]

SOLUTION_CODE = """def linear_schedule(step, start, end, decay_steps):
    ### BEGIN SOLUTION
    fraction = min(step / decay_steps, 1.0)
    return start + fraction * (end - start)
    ### END SOLUTION
"""


def nbgrader(grade_id, solution=True, points=None):
    meta = {"grade": points is not None, "grade_id": grade_id, "locked": not solution, "schema_version": 3, "solution": solution}
    return {"nbgrader": {**meta, "points": points} if points is not None else meta}


def exercise_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("## Exercises\n\n1. Write the schedule."),
        nbformat.v4.new_code_cell(SOLUTION_CODE, metadata=nbgrader("ex1_code")),
        nbformat.v4.new_code_cell("from dqn_helpers.exercises import check_linear_schedule\ncheck_linear_schedule(linear_schedule)",
                                  metadata=nbgrader("ex1_check", solution=False, points=2)),
        nbformat.v4.new_markdown_cell("Why does epsilon decay?", metadata={}),
        nbformat.v4.new_markdown_cell("Because exploring forever wastes steps.", metadata=nbgrader("ex2_answer", points=1)),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def execute(path, allow_errors=False):
    nb = nbformat.read(path, as_version=4)
    # run where the notebook is, so nothing it writes lands in the checkout
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=allow_errors,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def stub_errors(nb):
    """The errors of an executed student copy; each must be a stub's NotImplementedError in a solution cell."""
    errors = [(cell, o) for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs if o["output_type"] == "error"]
    for cell, error in errors:
        assert is_solution(cell) and error["ename"] == "NotImplementedError", (error["ename"], cell.source[:80])
        assert cell.source.endswith("# YOUR CODE HERE\nraise NotImplementedError()"), "only a whole-cell stub raises when run"
    return errors


def test_student_copy_has_stubs_no_solutions_and_still_runs(tmp_path):
    source = tmp_path / "07_exercise.ipynb"
    nbformat.write(exercise_notebook(), source)
    teacher = execute(source)
    assert "linear schedule: correct." in teacher.cells[2].outputs[0]["text"]

    assert make_student.main([str(source), "--out", str(tmp_path / "student")]) == 0
    copy = tmp_path / "student" / source.name
    text = copy.read_text()
    assert "fraction = min" not in text and "exploring forever" not in text
    assert "raise NotImplementedError()" in text and "def linear_schedule(step, start, end, decay_steps):" in text
    assert "YOUR ANSWER HERE" in text
    student = execute(copy)
    assert "linear schedule: not done yet" in student.cells[2].outputs[0]["text"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_has_exercises_each_with_a_solution_and_a_passing_checker(path):
    section = exercise_section(cells_of(path))
    questions = [i for i, c in enumerate(section) if c["cell_type"] == "markdown" and QUESTION.match(text(c))]
    assert len(questions) >= 3, "at least three exercises per notebook"
    for start, end in zip(questions, questions[1:] + [len(section)]):
        exercise = section[start:end]
        assert any(is_solution(c) for c in exercise), f"exercise {text(section[start])[:40]!r} has no solution cell"
        assert any(is_graded(c) for c in exercise), f"exercise {text(section[start])[:40]!r} earns no points"
        for cell in exercise:
            if is_solution(cell):  # collapsed for the instructor, so a learner does not read it by accident
                assert cell["metadata"].get("jupyter", {}).get("source_hidden") is True
    checkers = [c for c in section if is_checker(c)]
    assert checkers, "at least one coding exercise with a checker"
    for cell in checkers:
        assert text(cell).startswith("# NBVAL_CHECK_OUTPUT"), "nbval must compare the checker's verdict"
        assert re.fullmatch(r"[\w -]+: correct\.\n", printed(cell)), f"the stored solution does not pass: {printed(cell)!r}"


def student_copies(tmp_path):
    assert make_student.main(["--out", str(tmp_path)]) == 0
    return {p.name: p for p in sorted(tmp_path.glob("*.ipynb"))}


def test_student_copies_hold_stubs_and_no_solution(tmp_path):
    copies = student_copies(tmp_path)
    assert list(copies) == [p.name for p in NOTEBOOKS]
    for path in NOTEBOOKS:
        teacher, student = cells_of(path), cells_of(copies[path.name])
        assert len(teacher) == len(student)
        defined = {name for t in teacher if is_solution(t) and t["cell_type"] == "code" for name in make_student.defined_names(text(t))}
        # A solution hidden in a markdown block would stay in nbgrader's copy: solutions live in solution cells only.
        assert not any("<summary>Solution" in text(c) for c in teacher)
        # Every cell that is neither a solution nor a checker is the instructor's, unchanged (nbval runs
        # it): a student copy differs only in its exercises, most of them in the Exercises section, and
        # in exercises set inside the lesson (04's loop), which the whole-copy run below executes.
        kept = [(t, c) for t, c in zip(teacher, student) if not (is_solution(t) or is_checker(t))]
        assert [text(c) for _, c in kept] == [text(t) for t, _ in kept]
        # Outputs stay, except where they came from the instructor's solution: a graded cell, or a
        # cell that uses a name a solution cell defines (04's run of the learner's loop).
        changed = [t for t, c in kept if c.get("outputs") != t.get("outputs")]
        assert all(c["outputs"] == [] for t, c in kept if c.get("outputs") != t.get("outputs"))
        assert all(is_graded(t) or make_student.used_names(text(t)) & defined for t in changed), [text(t)[:60] for t in changed]
        outputs = json.dumps([c.get("outputs") for c in student])
        assert "your loop ran:" not in outputs and "the same final weights: True" not in outputs
        for original, copy in zip(teacher, student):
            if is_solution(original):
                for line in solution_lines(original):
                    assert line not in text(copy), f"{path.name}: solution line left in the student copy: {line!r}"
                assert "jupyter" not in copy["metadata"], "the stub must not be collapsed"
                if copy["cell_type"] == "code":
                    assert copy["outputs"] == [] and copy["execution_count"] is None
                    if make_student.BEGIN in text(original):  # the signature stays, the body is a stub
                        assert text(original).split("\n")[0] == text(copy).split("\n")[0]
                        assert "raise NotImplementedError()" in text(copy)
                else:
                    assert text(copy) == "YOUR ANSWER HERE"
            if is_checker(original):
                assert copy["outputs"] == [], "a stale 'correct.' from the instructor's run"
                assert "NBVAL" not in text(copy) and is_checker(copy)


def exercises_only(path):
    """The Setup cell and the Exercises section: all a student copy's exercises need."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = notebook["cells"]
    setup = next(c for c in cells if c["cell_type"] == "code")
    notebook["cells"] = [setup] + exercise_section(cells)
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path


def test_student_exercises_run_and_every_checker_says_not_done_yet(tmp_path):
    copies = student_copies(tmp_path / "student")
    for name, path in copies.items():
        nb = execute(exercises_only(path), allow_errors=True)
        stub_errors(nb)
        checker_out = [printed(c) for c in nb.cells if is_checker(c)]
        assert checker_out and all("not done yet" in out for out in checker_out), (name, checker_out)


@pytest.mark.parametrize("name", ["01_q_learning_basics.ipynb", "04_training_loop.ipynb"])
def test_a_whole_student_copy_runs_top_to_bottom(tmp_path, name):
    """01 as an example; 04 because its loop exercise sits in the lesson, and later cells need it."""
    copy = student_copies(tmp_path)[name]
    nb = execute(copy, allow_errors=True)
    # The lesson runs as in the instructor's copy; the only errors are the experiments' whole-cell stubs.
    errors = stub_errors(nb)
    first_exercise = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## Exercises"))
    assert all(nb.cells.index(cell) > first_exercise for cell, _ in errors)
    assert sum("not done yet" in printed(c) for c in nb.cells if is_checker(c)) == sum(is_checker(c) for c in nb.cells) >= 1


UNPAIRED_MARKERS = {
    "a BEGIN without its END": ("def f():\n    ### BEGIN SOLUTION\n    return 1\n\nprint(f())", ["solution"],
                                "'### BEGIN SOLUTION' on line 2 has no '### END SOLUTION' after it"),
    "an END without a BEGIN": ("def f():\n    return 1\n    ### END SOLUTION\nprint(f())", ["solution"],
                               "'### END SOLUTION' on line 3 has no '### BEGIN SOLUTION' before it"),
    "a BEGIN inside another": ("def f():\n    ### BEGIN SOLUTION\n    x = 1\n    ### BEGIN SOLUTION\n    return x\n"
                               "    ### END SOLUTION\n", ["solution"],
                               "'### BEGIN SOLUTION' on line 4 comes before the '### END SOLUTION' of the one on line 2"),
    "a marker misspelt": ("def f():\n    # BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n", ["solution"],
                          "line 2, '# BEGIN SOLUTION', looks like a solution marker"),
    "a marker after code": ("def f():\n    x = 1  ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n", ["solution"],
                            "line 2, 'x = 1  ### BEGIN SOLUTION', looks like a solution marker"),
    "markers outside a solution cell": ("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n", [],
                                        "is not a solution cell"),
}


@pytest.mark.parametrize("source, tags, says", UNPAIRED_MARKERS.values(), ids=UNPAIRED_MARKERS.keys())
def test_unpaired_solution_markers_stop_with_the_cell_named_and_nothing_written(tmp_path, capsys, source, tags, says):
    good, bad = tmp_path / "07_good.ipynb", tmp_path / "08_bad.ipynb"
    nbformat.write(exercise_notebook(), good)
    notebook = exercise_notebook()
    notebook.cells.insert(2, nbformat.v4.new_code_cell(source, metadata=nbgrader("ex9_code") if tags else {}))
    nbformat.write(notebook, bad)
    out = tmp_path / "student"
    out.mkdir()
    (out / "07_good.ipynb").write_text("the copy from last week", encoding="utf-8")
    assert make_student.main([str(good), str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {bad}, cell 3 (id {notebook.cells[2].id}): "), err
    assert says in err and err.rstrip().endswith("nothing was written."), err
    # Neither copy was written, not even the good notebook's: student/ is as it was.
    assert sorted(p.name for p in out.iterdir()) == ["07_good.ipynb"]
    assert (out / "07_good.ipynb").read_text(encoding="utf-8") == "the copy from last week"


def test_a_file_that_is_not_a_notebook_stops_with_one_sentence(tmp_path, capsys):
    bad = tmp_path / "07_bad.ipynb"
    bad.write_text('{"cells": [', encoding="utf-8")
    assert make_student.main([str(bad), "--out", str(tmp_path / "student")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {bad.name}: not a notebook nbformat can read") and err.count("\n") == 1, err
    assert not (tmp_path / "student").exists()


def test_student_copies_are_valid_notebooks_written_as_nbformat_writes_them(tmp_path):
    for name, path in student_copies(tmp_path).items():
        text = path.read_text(encoding="utf-8")
        copy = nbformat.reads(text, as_version=4)
        nbformat.validate(copy)
        assert nbformat.writes(copy) + "\n" == text, f"{name}: not as nbformat writes it"
