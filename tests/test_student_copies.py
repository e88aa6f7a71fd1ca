"""`make student`: solutions out, stubs in, and a student copy still runs top to bottom."""
import json
import pathlib
import sys

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import make_student  # noqa: E402

SOLUTION_CODE = """def linear_schedule(step, start, end, decay_steps):
    # BEGIN SOLUTION
    fraction = min(step / decay_steps, 1.0)
    return start + fraction * (end - start)
    # END SOLUTION
"""


def exercise_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("## Exercises\n\n1. Write the schedule.\n\n<details><summary>Solution</summary>\n\nA straight line.\n</details>"),
        nbformat.v4.new_code_cell(SOLUTION_CODE, metadata={"tags": ["solution"]}),
        nbformat.v4.new_code_cell("from dqn_helpers.exercises import check_linear_schedule\ncheck_linear_schedule(linear_schedule)"),
        nbformat.v4.new_markdown_cell("Why does epsilon decay?", metadata={}),
        nbformat.v4.new_markdown_cell("Because exploring forever wastes steps.", metadata={"tags": ["solution"]}),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def execute(path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    return nb


def test_student_copy_has_stubs_no_solutions_and_still_runs(tmp_path):
    source = tmp_path / "07_exercise.ipynb"
    nbformat.write(exercise_notebook(), source)
    teacher = execute(source)
    assert "linear schedule: correct." in teacher.cells[2].outputs[0]["text"]

    assert make_student.main([str(source), "--out", str(tmp_path / "student")]) == 0
    copy = tmp_path / "student" / source.name
    text = copy.read_text()
    assert "fraction = min" not in text and "A straight line" not in text and "exploring forever" not in text
    assert "raise NotImplementedError" in text and "def linear_schedule(step, start, end, decay_steps):" in text
    student = execute(copy)
    assert "linear schedule: not done yet" in student.cells[2].outputs[0]["text"]


def test_the_course_notebooks_leave_no_solution_in_student_copies(tmp_path):
    assert make_student.main(["--out", str(tmp_path)]) == 0
    copies = sorted(tmp_path.glob("*.ipynb"))
    assert [p.name for p in copies] == [p.name for p in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))]
    for path in copies:
        notebook = json.loads(path.read_text())
        for cell in notebook["cells"]:
            source = "".join(cell["source"])
            assert "<summary>Solution" not in source, path.name
            assert "# BEGIN SOLUTION" not in source, path.name
            if "solution" in cell.get("metadata", {}).get("tags", []) and cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None
