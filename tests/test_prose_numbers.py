"""Every number the notebooks' prose quotes is shown by an output of the same notebook.

The rule and its few exceptions live in tools/prose_numbers.py; `make notebooks` runs the same
check after re-executing, so a re-run that changes a quoted output fails here until the sentence
is updated.
"""
import copy
import json
import pathlib
import sys

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import prose_numbers  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_number_in_prose_is_shown_by_an_output(path):
    findings = prose_numbers.check_notebook(path)
    assert not findings, "numbers in prose that no output shows:\n" + "\n".join(map(str, findings))


def write(tmp_path, cells, name="99_example.ipynb"):
    notebook = nbformat.v4.new_notebook(cells=cells)
    path = tmp_path / name
    nbformat.write(notebook, path)
    return path


def printed(text):
    cell = nbformat.v4.new_code_cell("print(...)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    return cell


def flagged(tmp_path, sentence, output="mean episode length 23.2 over 50 episodes\n"):
    path = write(tmp_path, [printed(output), nbformat.v4.new_markdown_cell(sentence)])
    return [f.number for f in prose_numbers.check_notebook(path, defaults={64.0})]


def test_a_stale_number_is_flagged(tmp_path):
    assert flagged(tmp_path, "A random policy balances the pole for about 20 steps.") == ["20"]
    assert flagged(tmp_path, "It took 3.9 s.") == ["3.9"]


def test_a_number_an_output_shows_passes_rounded_or_formatted(tmp_path):
    assert flagged(tmp_path, "About 23 steps (23.2 exactly), over 50 episodes.") == []
    assert flagged(tmp_path, "24,576 gradient steps, 86% solved.", output="24576 steps, 0.861 solved") == []
    # rounding goes one way only: 23.2 is not "about 24"
    assert flagged(tmp_path, "About 24 steps.") == ["24"]


def test_code_math_links_references_and_constants_are_not_prose(tmp_path):
    sentence = (
        "Line 13 of the pseudocode, lines 13-14, Exercise 12, in `buffer[4096]`, "
        "$\\gamma = 0.97$, [a link](https://example.org/page/1234), Mnih et al. (2015), "
        "a batch of 64 (a config default), CartPole's 475 and 500, notebook 04, "
        "about 45 minutes of reading.\n\n```text\n17  y <- r + 0.97 max Q\n```")
    assert flagged(tmp_path, sentence) == []


def test_ranges_check_both_ends(tmp_path):
    assert flagged(tmp_path, "Seeds averaged 449-471.", output="449.0 470.8") == []
    assert flagged(tmp_path, "Seeds averaged 449-475.", output="449.0 470.8") == []  # 475 is allowed
    assert flagged(tmp_path, "Seeds averaged 449-472.", output="449.0 470.8") == ["472"]


def test_solution_cells_are_not_checked(tmp_path):
    cell = nbformat.v4.new_markdown_cell("The answer is 12345.")
    path = write(tmp_path, [printed("nothing"), cell])
    assert [f.number for f in prose_numbers.check_notebook(path, defaults=set())] == ["12345"]
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "ex1_answer", "locked": False, "points": 1,
                                 "schema_version": 3, "solution": True}
    path = write(tmp_path, [printed("nothing"), cell])
    assert prose_numbers.check_notebook(path, defaults=set()) == []


def test_a_reexecution_that_changes_a_quoted_output_fails(tmp_path):
    """Take a real notebook, change every output number its prose quotes, and the check fails."""
    source = ROOT / "notebooks" / "02_keras_q_network.ipynb"
    notebook = json.loads(source.read_text(encoding="utf-8"))
    quoted = set()
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            for match in prose_numbers.NUMBER.finditer(prose_numbers.prose("".join(cell["source"]))):
                quoted.add(match.group("body").replace(",", "") + (match.group("frac") or ""))
    stale = copy.deepcopy(notebook)
    changed = 0
    for cell in stale["cells"]:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                text = "".join(output["text"])
                for number in sorted(quoted, key=len, reverse=True):
                    if len(number) >= 3 and number in text:  # skip small counts, which are allowed anyway
                        text = text.replace(number, "9" * len(number))
                        changed += 1
                output["text"] = text
    assert changed, "the notebook's prose quotes no printed number: pick another notebook for this test"
    path = tmp_path / source.name
    path.write_text(json.dumps(stale), encoding="utf-8")
    assert prose_numbers.check_notebook(path), "changing quoted outputs went unnoticed"
