"""The nbgrader metadata of the notebooks: what nbgrader needs to generate and autograde them, and
the same points as TEACHING.md's rubric, exercise by exercise. (tools/nbgrader_check.py runs nbgrader
itself on the notebooks, in a throwaway environment, in CI.)"""
import collections
import json
import pathlib
import re
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from notebook_io import BEGIN, CHECKER_CALL, END, is_graded, is_solution, nbgrader_metadata  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
# A rubric row: | 01 | 1 · Q-learning update | checker passes (2) | 2 | 5 |, or 04's | the loop, in the lesson | ...
RUBRIC_ROW = re.compile(r"^\| (\d\d) \| (?:(\d+) · [^|]*|the loop, in the lesson) \| ([^|]*) \| (\d+) \| \d+ \|$", re.M)


def rubric():
    """{notebook: {exercise: (points, what earns them)}} from TEACHING.md's rubric table."""
    text = (ROOT / "TEACHING.md").read_text(encoding="utf-8")
    table = text[text.index("## Rubric and time per exercise"):]
    rows = collections.defaultdict(dict)
    for notebook, number, earns, points in RUBRIC_ROW.findall(table):
        rows[notebook][f"ex{number}" if number else "loop"] = (int(points), earns)
    return rows


def cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell):
    return "".join(cell["source"])


def test_the_rubric_table_is_read():
    rows = rubric()
    assert sorted(rows) == [p.name[:2] for p in NOTEBOOKS]
    assert rows["04"]["loop"][0] == 8 and rows["01"]["ex7"][0] == 6


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_nbgrader_metadata_is_complete_and_gives_the_rubrics_points(path):
    graded = [c for c in cells(path) if nbgrader_metadata(c)]
    ids = [nbgrader_metadata(c)["grade_id"] for c in graded]
    assert len(ids) == len(set(ids)), "grade ids must be unique in a notebook"
    points = collections.Counter()
    checker_points = {}
    for cell in graded:
        meta = nbgrader_metadata(cell)
        assert meta["schema_version"] == 3 and re.fullmatch(r"(ex\d+|loop)_(code|check|answer|solves)\d*", meta["grade_id"])
        exercise = meta["grade_id"].split("_")[0]
        if is_graded(cell):
            assert isinstance(meta["points"], int) and meta["points"] > 0
            points[exercise] += meta["points"]
        if cell["cell_type"] == "markdown":
            # nbgrader: a written answer is a solution cell graded by hand.
            assert is_solution(cell) and is_graded(cell), meta["grade_id"]
        elif is_solution(cell):
            assert not is_graded(cell), "a code solution is graded by the checker cell after it"
            lines = [line.strip() for line in source(cell).splitlines()]
            assert lines.count(BEGIN) == lines.count(END)
        else:  # an autograded test: a locked cell that raises when the exercise is not done
            assert is_graded(cell) and meta["locked"] is True
            if CHECKER_CALL.search(source(cell)):
                checker_points[exercise] = meta["points"]
    # Every checker call in the notebook is a graded test cell.
    for cell in cells(path):
        if cell["cell_type"] == "code" and CHECKER_CALL.search(source(cell)):
            assert is_graded(cell) and not is_solution(cell), source(cell)[:60]
    expected = rubric()[path.name[:2]]
    assert dict(points) == {exercise: p for exercise, (p, _) in expected.items()}
    for exercise, p in checker_points.items():
        assert f"checker passes ({p})" in expected[exercise][1], (exercise, expected[exercise][1])


# ----- handing the notebooks out on a JupyterHub: nbgitpuller links from course.toml
def test_nbgitpuller_links_follow_course_toml(tmp_path, capsys):
    import urllib.parse

    import nbgitpuller_links

    (tmp_path / "notebooks").mkdir()
    for path in NOTEBOOKS:
        (tmp_path / "notebooks" / path.name).write_text("{}", encoding="utf-8")
    (tmp_path / "course.toml").write_text('repository = "a-teacher/dqn-class"\nref = "spring-2027"\n', encoding="utf-8")
    assert nbgitpuller_links.main(["https://hub.example.edu/", "--root", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [p.stem for p in NOTEBOOKS]
    link = urllib.parse.urlsplit(lines[3].split(": ", 1)[1])
    assert (link.scheme, link.netloc, link.path) == ("https", "hub.example.edu", "/hub/user-redirect/git-pull")
    assert urllib.parse.parse_qs(link.query) == {
        "repo": ["https://github.com/a-teacher/dqn-class"], "branch": ["spring-2027"],
        "urlpath": [f"lab/tree/dqn-class/notebooks/{NOTEBOOKS[3].name}"]}
    # --repo and --ref override course.toml, e.g. for a repository of student copies.
    assert nbgitpuller_links.main(["https://hub.example.edu", "--root", str(tmp_path), "--repo", "me/copies", "--ref", "main"]) == 0
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(capsys.readouterr().out.splitlines()[0].split(": ", 1)[1]).query)
    assert query["repo"] == ["https://github.com/me/copies"] and query["branch"] == ["main"]


def test_nbgitpuller_links_refuse_a_bad_hub_in_one_sentence(capsys):
    import nbgitpuller_links

    for hub in ("hub.example.edu", "ftp://hub.example.edu", "https://hub.example.edu/?next=x", ""):
        assert nbgitpuller_links.main([hub]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err.count("\n") == 1 and "the hub must be an address" in captured.err


def test_teachings_points_per_notebook_are_the_metadatas():
    text = " ".join((ROOT / "TEACHING.md").read_text(encoding="utf-8").split())
    totals, autograded = [], []
    for path in NOTEBOOKS:
        graded = [c for c in cells(path) if is_graded(c)]
        totals.append(sum(nbgrader_metadata(c)["points"] for c in graded))
        autograded.append(sum(nbgrader_metadata(c)["points"] for c in graded if c["cell_type"] == "code"))
    listed = lambda numbers: ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"
    assert f"The points per notebook are the rubric's totals: {listed(totals)}; of them {listed(autograded)} are autograded" in text
