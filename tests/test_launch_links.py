"""Binder and Colab links: all of them agree with course.toml, and tools/badges.py keeps them so.

The first tests check the course itself: README.md and every numbered notebook (its badges,
its Colab install block, every link in its markdown). They fail until `make badges` has been
run after a notebook was added or course.toml changed, and say so. The others exercise
tools/badges.py on copies in a temporary folder.
"""
import importlib.util
import json
import pathlib
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import types

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from packaging.requirements import Requirement

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))


def load_badges():
    spec = importlib.util.spec_from_file_location("badges", ROOT / "tools" / "badges.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["badges"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


badges = load_badges()
COURSE = badges.load_course(ROOT)
DEFAULT_REPO = COURSE.repo


# ---------------------------------------------------------------------------- the course itself

def test_course_toml_holds_the_repository_address():
    config = tomllib.loads((ROOT / "course.toml").read_text(encoding="utf-8"))
    assert badges.REPO_RE.match(config["repository"]), config["repository"]
    assert badges.BRANCH_RE.match(config["branch"]), config["branch"]
    assert (config["repository"], config["branch"]) == (COURSE.repo, COURSE.branch)


def test_readme_badges_open_notebook_01_and_every_link_agrees_with_course_toml():
    problems = badges.readme_problems(COURSE)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_its_badges_and_colab_block_and_every_link_agrees(path):
    problems = badges.notebook_problems(path, COURSE)
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------- the Colab block

class RecordingIPython:
    def __init__(self):
        self.magics = []

    def run_line_magic(self, name, line):
        self.magics.append((name, line))


def run_block(block):
    """Run a cell's source the way IPython does (magics become get_ipython() calls)."""
    ipython = RecordingIPython()
    exec(TransformerManager().transform_cell(block), {"get_ipython": lambda: ipython})
    return ipython.magics


def test_colab_block_does_nothing_outside_colab(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert run_block(badges.colab_block(COURSE)) == []


def test_colab_block_installs_gymnasium_and_the_package_without_touching_tensorflow(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    magics = run_block(badges.colab_block(COURSE))
    assert [name for name, _ in magics] == ["pip", "pip"]
    gymnasium, package = (line for _, line in magics)
    pinned = Requirement(gymnasium.split('"')[1])
    assert pinned.name == "gymnasium" and {"classic-control", "toy-text"} <= pinned.extras
    assert str(pinned.specifier).startswith("==")
    assert tuple(shlex.split(gymnasium)[2:]) == badges.gymnasium_requirement(ROOT)
    # Installing dqn_helpers with its dependencies would add tensorflow-cpu beside Colab's tensorflow.
    assert "--no-deps" in package.split()
    requirement = Requirement(package.split('"')[1])
    assert requirement.name == "dqn_helpers"
    assert requirement.url == f"git+https://github.com/{COURSE.repo}"
    assert "tensorflow" not in gymnasium + package


def test_colab_block_goes_after_nbval_markers_and_replaces_an_old_block():
    block = badges.colab_block(COURSE)
    cell = "# NBVAL_CHECK_OUTPUT\nimport os\nprint(1)"
    once = badges.with_colab_block(cell, block)
    assert once == "# NBVAL_CHECK_OUTPUT\n" + block + "\nimport os\nprint(1)"
    assert badges.with_colab_block(once, block) == once
    old = once.replace("--quiet", "-q")
    assert badges.with_colab_block(old, block) == once


def test_badges_go_right_under_the_title_once():
    line = badges.badge_line(COURSE, "01_q_learning_basics.ipynb")
    cell = "# 01 · Title\n\nWhat you will be able to do.\n\n**Time needed:** 5 minutes."
    once = badges.with_badges(cell, line)
    assert once.split("\n")[:4] == ["# 01 · Title", "", line, ""]
    assert badges.with_badges(once, line) == once
    moved = cell.replace("do.\n", f"do.\n\n{line}\n")  # badges elsewhere in the cell move under the title
    assert badges.with_badges(moved, line) == once
    with pytest.raises(badges.CourseError):
        badges.with_badges("No title here", line)


# ---------------------------------------------------------------------------- the script on copies

README_HEAD = """# The course

[![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/someone/old/HEAD?labpath=notebooks%2F{first})
[![Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/someone/old/blob/master/notebooks/{first})

    git clone https://github.com/{repo}.git

The code of [CleanRL](https://github.com/vwxyzjn/cleanrl) is another good read.
"""


@pytest.fixture
def course_copy(tmp_path):
    """README.md, course.toml, requirements.txt and the notebooks, copied; README gets old badges."""
    for name in ("course.toml", "requirements.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "notebooks").mkdir()
    for path in NOTEBOOKS:
        without_launchers(path, tmp_path / "notebooks" / path.name)
    head = README_HEAD.format(first=NOTEBOOKS[0].name, repo=DEFAULT_REPO)
    (tmp_path / "README.md").write_text(head + "\n" + (ROOT / "README.md").read_text(encoding="utf-8"),
                                        encoding="utf-8")
    return tmp_path


def without_launchers(source, target):
    """Copy a notebook as it was before `make badges`: no badge line, no Colab block."""
    notebook = nbformat.read(source, as_version=4)
    title = notebook.cells[badges.title_cell_index(notebook)]
    title.source = "\n".join(line for line in title.source.split("\n") if "mybinder.org/badge_logo.svg" not in line)
    title.source = title.source.replace("\n\n\n", "\n\n")
    setup = notebook.cells[badges.setup_cell_index(notebook)]
    if "google.colab" in setup.source:
        setup.source = setup.source.split("\n\n", 1)[1]  # the block is the setup cell's first paragraph
    nbformat.write(notebook, target)


def snapshot(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def run(root, *args):
    return badges.main(["--root", str(root), *args])


def test_update_changes_only_cell_sources_and_keeps_nbformat_layout(course_copy, capsys):
    before = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in (course_copy / "notebooks").glob("*.ipynb")}
    assert run(course_copy) == 0
    for name, old in before.items():
        text = (course_copy / "notebooks" / name).read_text(encoding="utf-8")
        assert nbformat.writes(nbformat.reads(text, as_version=4)) + "\n" == text, "not as nbformat writes it"
        new = json.loads(text)
        assert {k: v for k, v in new.items() if k != "cells"} == {k: v for k, v in old.items() if k != "cells"}
        assert len(new["cells"]) == len(old["cells"])
        changed = []
        for i, (a, b) in enumerate(zip(old["cells"], new["cells"])):
            assert {k: v for k, v in a.items() if k != "source"} == {k: v for k, v in b.items() if k != "source"}, (
                f"{name} cell {i}: outputs, execution count or metadata changed")
            if a["source"] != b["source"]:
                changed.append(i)
        assert changed == [badges.title_cell_index(new), badges.setup_cell_index(new)], name
    assert run(course_copy, "--check") == 0, capsys.readouterr().out


def test_update_twice_changes_nothing_the_second_time(course_copy, capsys):
    assert run(course_copy) == 0
    first = snapshot(course_copy)
    capsys.readouterr()
    assert run(course_copy) == 0
    assert capsys.readouterr().out.strip() == "Nothing to change."
    assert snapshot(course_copy) == first


def test_a_fork_moves_every_link_and_only_the_course_links(course_copy, capsys):
    assert run(course_copy) == 0
    ours = snapshot(course_copy)
    assert run(course_copy, "--repo", "teacher/dqn-fork", "--branch", "spring") == 0
    assert 'repository = "teacher/dqn-fork"' in (course_copy / "course.toml").read_text()
    for path in [course_copy / "README.md", *sorted((course_copy / "notebooks").glob("*.ipynb"))]:
        text = path.read_text(encoding="utf-8")
        assert DEFAULT_REPO not in text and "someone/old" not in text, path.name
        if path.suffix == ".ipynb":
            assert f"github/teacher/dqn-fork/blob/spring/notebooks/{path.name}" in text
            assert "git+https://github.com/teacher/dqn-fork" in text
    readme = (course_copy / "README.md").read_text(encoding="utf-8")
    assert "git clone https://github.com/teacher/dqn-fork.git" in readme
    assert "https://github.com/vwxyzjn/cleanrl" in readme, "a link to another project must stay"
    assert run(course_copy, "--check") == 0, capsys.readouterr().out
    # And back: byte for byte where we started.
    assert run(course_copy, "--repo", DEFAULT_REPO, "--branch", COURSE.branch) == 0
    assert snapshot(course_copy) == ours


def test_check_reports_what_is_missing_before_the_first_update(course_copy, capsys):
    assert run(course_copy, "--check") == 1
    out = capsys.readouterr().out
    for path in NOTEBOOKS:
        assert f"notebooks/{path.name}: title cell has no Binder/Colab badges" in out
        assert f"notebooks/{path.name}: Setup cell has no Colab install block" in out
    assert "README.md: Binder link points at someone/old" in out


def test_check_reports_a_link_to_another_repository_or_a_missing_notebook(course_copy, capsys):
    assert run(course_copy) == 0
    path = course_copy / "notebooks" / NOTEBOOKS[-1].name
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell(
        f"Next: [notebook 99](https://colab.research.google.com/github/{DEFAULT_REPO}/blob/main/notebooks/99_gone.ipynb), "
        f"or [on Binder](https://mybinder.org/v2/gh/someone/else/HEAD?labpath=notebooks%2F{NOTEBOOKS[0].name})."))
    nbformat.write(nb, path)
    capsys.readouterr()
    assert run(course_copy, "--check") == 1
    out = capsys.readouterr().out
    assert "99_gone.ipynb, which does not exist" in out
    assert f"notebooks/{path.name}: Binder link points at someone/else" in out


def test_update_refuses_a_notebook_without_a_setup_cell_and_writes_nothing(course_copy, capsys):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 99 · No setup"),
                                         nbformat.v4.new_code_cell("print(1)")])
    nbformat.write(nb, course_copy / "notebooks" / "99_no_setup.ipynb")
    before = snapshot(course_copy)
    assert run(course_copy) == 2
    assert 'no code cell after a "## Setup" markdown cell' in capsys.readouterr().err
    assert snapshot(course_copy) == before


def test_command_line_check_exit_code(course_copy):
    script = [sys.executable, str(ROOT / "tools" / "badges.py"), "--root", str(course_copy), "--check"]
    assert subprocess.run(script, capture_output=True, timeout=60).returncode == 1
    assert subprocess.run(script[:-1], capture_output=True, timeout=60).returncode == 0  # update
    result = subprocess.run(script, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout
    bad = subprocess.run(script[:-1] + ["--repo", "not a repo"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "owner/name" in bad.stderr


# ---------------------------------------------------------------------------- course.toml and requirements.txt

COURSE_TOML_SPELLINGS = {
    "single quotes": "repository = 'teacher/fork'\nbranch = 'spring'\n",
    "indented, tabs and spaces": "  repository\t=   \"teacher/fork\"   \n\tbranch =\"spring\"\n",
    "comments after the values": '# the class\nrepository = "teacher/fork"  # our fork\nbranch = "spring" # term\n',
    "quoted keys": "\"repository\" = \"teacher/fork\"\n'branch' = 'spring'\n[extra]\nnote = \"kept\"\n",
}


@pytest.mark.parametrize("text", COURSE_TOML_SPELLINGS.values(), ids=COURSE_TOML_SPELLINGS.keys())
def test_course_toml_is_read_in_every_valid_spelling_and_moved_to_a_fork_keeping_it(course_copy, text, capsys):
    (course_copy / "course.toml").write_text(text, encoding="utf-8")
    assert badges.read_config(course_copy) == ("teacher/fork", "spring")
    assert run(course_copy, "--repo", "teacher/other-fork") == 0, capsys.readouterr().err
    new = (course_copy / "course.toml").read_text(encoding="utf-8")
    config = tomllib.loads(new)
    assert (config["repository"], config["branch"]) == ("teacher/other-fork", "spring")
    assert {k: v for k, v in config.items() if k != "repository"} == {
        k: v for k, v in tomllib.loads(text).items() if k != "repository"}
    # Only the value changed: the line keeps its indentation, the key's spelling, its quotes and comment.
    assert new == text.replace("teacher/fork", "teacher/other-fork")
    assert run(course_copy, "--check") == 0, capsys.readouterr().out


def test_course_toml_without_a_branch_means_main_and_gets_a_branch_line_only_when_needed(course_copy):
    text = "repository = 'teacher/fork'\n[extra]\nbranch = 'a key of another table'\n"
    (course_copy / "course.toml").write_text(text, encoding="utf-8")
    assert badges.read_config(course_copy) == ("teacher/fork", "main")
    assert run(course_copy) == 0
    assert (course_copy / "course.toml").read_text() == text
    assert run(course_copy, "--branch", "spring") == 0
    assert (course_copy / "course.toml").read_text() == text.replace("\n[", '\nbranch = "spring"\n[', 1)
    assert tomllib.loads((course_copy / "course.toml").read_text()) == {
        "repository": "teacher/fork", "branch": "spring", "extra": {"branch": "a key of another table"}}


BAD_COURSE_TOML = {
    "unclosed string": ('repository = "teacher/fork\n', "not valid TOML"),
    "the key twice": ('repository = "teacher/fork"\nrepository = "teacher/other"\n', "not valid TOML"),
    "not a string": ("repository = 42\n", "must be a string"),
    "not owner/name": ('repository = "just-a-name"\n', "must be a string"),
    "no repository": ('branch = "main"\n', "has no repository"),
    "a bad branch": ('repository = "teacher/fork"\nbranch = "two words"\n', "branch must be"),
}


@pytest.mark.parametrize("text, says", BAD_COURSE_TOML.values(), ids=BAD_COURSE_TOML.keys())
@pytest.mark.parametrize("args", [[], ["--check"], ["--repo", "teacher/fork2"]], ids=["update", "check", "fork"])
def test_an_invalid_course_toml_stops_with_one_sentence_and_writes_nothing(course_copy, text, says, args, capsys):
    (course_copy / "course.toml").write_text(text, encoding="utf-8")
    before = snapshot(course_copy)
    assert run(course_copy, *args) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("badges: course.toml") and says in captured.err
    assert captured.err.count("\n") == 1, captured.err
    assert snapshot(course_copy) == before


def test_a_course_toml_the_line_rewrite_cannot_handle_is_left_as_it_was(course_copy, capsys):
    text = 'repository = """teacher/fork"""\n'  # valid TOML, but not one the tool rewrites by its lines
    (course_copy / "course.toml").write_text(text, encoding="utf-8")
    assert badges.read_config(course_copy) == ("teacher/fork", "main")
    before = snapshot(course_copy)
    assert run(course_copy, "--repo", "teacher/fork2") == 2
    assert "write repository = \"teacher/fork2\"" in capsys.readouterr().err
    assert snapshot(course_copy) == before


GYMNASIUM_SPELLINGS = {
    "extras unsorted, spaces": ("gymnasium[toy-text,classic-control] == 1.4.0\n",
                                ("gymnasium[classic-control,toy-text]==1.4.0",)),
    "capitals, spaces in the extras, a comment": (
        "# gymnasium==0.29 was the old pin\nGymnasium [ classic-control , toy-text ]==1.4.0  # the envs\n",
        ("gymnasium[classic-control,toy-text]==1.4.0",)),
    "a marker": ('numpy==2.4.6\ngymnasium[classic-control,toy-text] == 1.4.0 ; python_version >= "3.10"\n',
                 ("gymnasium[classic-control,toy-text]==1.4.0; python_version >= '3.10'",)),
    "two lines split by markers, a continuation, options": (
        "-e .\n--extra-index-url https://example.org/simple\n"
        'gymnasium[toy-text]==1.4.0; sys_platform == "linux" \\\n    and python_version < "3.14"\n'
        'gymnasium[toy-text]==1.3.0; sys_platform != "linux"\n',
        ("gymnasium[toy-text]==1.4.0; sys_platform == 'linux' and python_version < '3.14'",
         "gymnasium[toy-text]==1.3.0; sys_platform != 'linux'")),
}


@pytest.mark.parametrize("text, expected", GYMNASIUM_SPELLINGS.values(), ids=GYMNASIUM_SPELLINGS.keys())
def test_gymnasium_requirement_is_read_with_packaging_and_installed_on_colab_as_written(
        tmp_path, monkeypatch, text, expected):
    (tmp_path / "requirements.txt").write_text(text, encoding="utf-8")
    assert badges.gymnasium_requirement(tmp_path) == expected
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    course = badges.Course(root=tmp_path, repo=DEFAULT_REPO, branch="main", gymnasium=expected)
    (name, line), _ = run_block(badges.colab_block(course))
    arguments = shlex.split(line)  # what pip receives
    assert name == "pip" and arguments[:2] == ["install", "--quiet"]
    requirements = [Requirement(argument) for argument in arguments[2:]]
    assert [str(r) for r in requirements] == [str(Requirement(line)) for line in expected]
    assert all(r.name == "gymnasium" and str(r.specifier).startswith("==") for r in requirements)


BAD_GYMNASIUM = {
    "no pin": "gymnasium[classic-control,toy-text]\n",
    "a range": "gymnasium>=1.0\n",
    "a wildcard": "gymnasium==1.4.*\n",
    "two pins": "gymnasium==1.4.0,==1.3.0\n",
    "not a requirement": "gymnasium[classic-control==1.4.0\n",
    "none at all": "numpy==2.4.6\n",
}


@pytest.mark.parametrize("text", BAD_GYMNASIUM.values(), ids=BAD_GYMNASIUM.keys())
def test_a_gymnasium_requirement_colab_cannot_pin_stops_with_one_sentence_and_writes_nothing(course_copy, text, capsys):
    (course_copy / "requirements.txt").write_text("numpy==2.4.6\n" + text, encoding="utf-8")
    before = snapshot(course_copy)
    assert run(course_copy) == 2
    err = capsys.readouterr().err
    assert err.startswith("badges: requirements.txt") and err.count("\n") == 1, err
    if text != "numpy==2.4.6\n":
        assert "line 2" in err, err
    assert snapshot(course_copy) == before
