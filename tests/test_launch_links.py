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

def test_course_toml_holds_the_repository_address_and_ref():
    config = tomllib.loads((ROOT / "course.toml").read_text(encoding="utf-8"))
    assert badges.REPO_RE.match(config["repository"]), config["repository"]
    assert badges.REF_RE.match(config["ref"]), config["ref"]
    assert "branch" not in config, "the key is now called ref"
    assert (config["repository"], config["ref"]) == (COURSE.repo, COURSE.ref)


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


def test_colab_block_installs_only_the_package_at_course_tomls_ref(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    magics = run_block(badges.colab_block(COURSE))
    assert [name for name, _ in magics] == ["pip"]
    (_, line), = magics
    arguments = shlex.split(line)  # what pip receives
    assert arguments[:2] == ["install", "--quiet"] and len(arguments) == 3, arguments
    # pip adds only the dependencies Colab lacks: no --no-deps, and nothing but the package is named
    # (gymnasium's pygame extras would install pygame-ce over Colab's pygame).
    requirement = Requirement(arguments[2])
    assert requirement.name == "dqn_helpers" and not requirement.extras
    assert requirement.url == f"git+https://github.com/{COURSE.repo}@{COURSE.ref}"
    assert "tensorflow" not in line and "gymnasium" not in line


COLAB_BLOCK_AT_A_TAG = """import sys
if "google.colab" in sys.modules:  # on Colab only: add the course's package, keep Colab's packages
    %pip install --quiet "dqn_helpers @ git+https://github.com/teacher/fork@v2026.1"
"""


def test_colab_block_is_three_short_lines_with_the_repository_and_ref():
    course = badges.Course(root=ROOT, repo="teacher/fork", ref="v2026.1")
    assert badges.colab_block(course) == COLAB_BLOCK_AT_A_TAG
    assert all(len(line) <= 100 for line in COLAB_BLOCK_AT_A_TAG.split("\n"))


# The block that `make badges` wrote before the ref: two %pip lines, gymnasium's extras and --no-deps.
OLD_COLAB_BLOCK = """import sys
if "google.colab" in sys.modules:  # on Colab only: install what it lacks, keep its own TensorFlow
    %pip install --quiet "gymnasium[classic-control,toy-text]==1.4.0"
    %pip install --quiet --no-deps "dqn_helpers @ git+https://github.com/teacher/fork"
"""


def test_colab_block_replaces_the_old_two_line_block():
    course = badges.Course(root=ROOT, repo="teacher/fork", ref="v2026.1")
    cell = "# NBVAL_CHECK_OUTPUT\n" + OLD_COLAB_BLOCK + "\nimport os\nprint(1)"
    assert badges.with_colab_block(cell, badges.colab_block(course)) == (
        "# NBVAL_CHECK_OUTPUT\n" + COLAB_BLOCK_AT_A_TAG + "\nimport os\nprint(1)")


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

The website: <https://{pages}/>.
The code of [CleanRL](https://github.com/vwxyzjn/cleanrl) is another good read.
"""


@pytest.fixture
def course_copy(tmp_path):
    """README.md, course.toml and the notebooks, copied; README gets old badges."""
    shutil.copy(ROOT / "course.toml", tmp_path / "course.toml")
    (tmp_path / "notebooks").mkdir()
    for path in NOTEBOOKS:
        without_launchers(path, tmp_path / "notebooks" / path.name)
    head = README_HEAD.format(first=NOTEBOOKS[0].name, repo=DEFAULT_REPO,
                              pages="{}.github.io/{}".format(*DEFAULT_REPO.split("/")))
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


def sources(path):
    """A notebook's cell sources, one after the other."""
    return "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells)


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
    assert run(course_copy, "--repo", "teacher/dqn-fork", "--ref", "spring") == 0
    assert 'repository = "teacher/dqn-fork"' in (course_copy / "course.toml").read_text()
    for path in [course_copy / "README.md", *sorted((course_copy / "notebooks").glob("*.ipynb"))]:
        text = path.read_text(encoding="utf-8")
        assert DEFAULT_REPO not in text and "someone/old" not in text, path.name
        if path.suffix == ".ipynb":
            assert f"github/teacher/dqn-fork/blob/spring/notebooks/{path.name}" in text
            assert f"v2/gh/teacher/dqn-fork/spring?labpath=notebooks%2F{path.name}" in text
            assert "git+https://github.com/teacher/dqn-fork@spring" in text
    readme = (course_copy / "README.md").read_text(encoding="utf-8")
    assert "git clone https://github.com/teacher/dqn-fork.git" in readme
    assert "The website: <https://teacher.github.io/dqn-fork/>." in readme
    assert "https://github.com/vwxyzjn/cleanrl" in readme, "a link to another project must stay"
    assert run(course_copy, "--check") == 0, capsys.readouterr().out
    # And back: byte for byte where we started.
    assert run(course_copy, "--repo", DEFAULT_REPO, "--ref", COURSE.ref) == 0
    assert snapshot(course_copy) == ours


def launch_links(text):
    """The refs of every Binder link, of every Colab link and of every Colab install line in text
    (a notebook's text is its cells' sources)."""
    return ({m.group("ref") for m in badges.BINDER_RE.finditer(text)},
            {badges.split_colab_ref(m.group("rest"))[0] for m in badges.COLAB_RE.finditer(text)},
            set(re.findall(r"git\+https://github\.com/[^@\s\"]+@([^\s\"]+)", text)))


def test_binder_and_colab_links_and_the_install_line_carry_course_tomls_ref(course_copy, capsys):
    toml = course_copy / "course.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(f'ref = "{COURSE.ref}"', 'ref = "v2026.1"'),
                    encoding="utf-8")
    assert badges.read_config(course_copy) == (COURSE.repo, "v2026.1")
    assert run(course_copy) == 0, capsys.readouterr().err
    readme = (course_copy / "README.md").read_text(encoding="utf-8")
    assert f"https://mybinder.org/v2/gh/{COURSE.repo}/v2026.1?labpath=notebooks%2F{NOTEBOOKS[0].name}" in readme
    assert f"https://colab.research.google.com/github/{COURSE.repo}/blob/v2026.1/notebooks/{NOTEBOOKS[0].name}" in readme
    assert launch_links(readme)[:2] == ({"v2026.1"}, {"v2026.1"})
    for path in sorted((course_copy / "notebooks").glob("*.ipynb")):
        assert launch_links(sources(path)) == ({"v2026.1"}, {"v2026.1"}, {"v2026.1"}), path.name
    assert run(course_copy, "--check") == 0, capsys.readouterr().out


def test_a_ref_option_moves_readme_notebooks_and_course_toml_to_a_tag(course_copy, capsys):
    assert run(course_copy) == 0
    capsys.readouterr()
    assert run(course_copy, "--ref", "v2026.1") == 0
    report = capsys.readouterr().out
    assert f"course.toml: repository = {COURSE.repo}, ref = v2026.1" in report
    assert "README.md: links" in report
    text = (course_copy / "course.toml").read_text(encoding="utf-8")
    assert text == (ROOT / "course.toml").read_text(encoding="utf-8").replace(
        f'ref = "{COURSE.ref}"', 'ref = "v2026.1"'), "only the value of the ref line changes"
    readme = (course_copy / "README.md").read_text(encoding="utf-8")
    assert launch_links(readme)[:2] == ({"v2026.1"}, {"v2026.1"})
    for path in sorted((course_copy / "notebooks").glob("*.ipynb")):
        assert launch_links(sources(path)) == ({"v2026.1"}, {"v2026.1"}, {"v2026.1"}), path.name
        assert f'"dqn_helpers @ git+https://github.com/{COURSE.repo}@v2026.1"' in sources(path)
    assert run(course_copy, "--check") == 0, capsys.readouterr().out


def test_a_ref_with_slashes_round_trips(course_copy, capsys):
    assert run(course_copy) == 0
    ours = snapshot(course_copy)
    assert run(course_copy, "--ref", "spring/2026") == 0
    for path in sorted((course_copy / "notebooks").glob("*.ipynb")):
        text = path.read_text(encoding="utf-8")
        assert f"github/{COURSE.repo}/blob/spring/2026/notebooks/{path.name}" in text
        assert f"v2/gh/{COURSE.repo}/spring/2026?labpath=" in text
        assert f"git+https://github.com/{COURSE.repo}@spring/2026" in text
    moved = snapshot(course_copy)
    assert run(course_copy, "--check") == 0, capsys.readouterr().out
    assert run(course_copy) == 0 and snapshot(course_copy) == moved, "a second run changes nothing"
    assert run(course_copy, "--ref", COURSE.ref) == 0
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


def test_a_binder_link_with_its_ref_url_encoded_is_read_as_binder_reads_it():
    course = badges.Course(root=ROOT, repo="teacher/fork", ref="spring/2026")
    link = f"https://mybinder.org/v2/gh/teacher/fork/spring%2F2026?labpath=notebooks%2F{NOTEBOOKS[0].name}"
    assert badges.link_problems(f"[Binder]({link})", course, "README.md") == []
    assert badges.link_problems(f"[Binder]({link.replace('2026', '2025', 1)})", course, "README.md") != []


@pytest.mark.parametrize("other", ["HEAD", "spring", "v2025.2"])
def test_check_reports_a_binder_link_at_another_ref_and_update_moves_it(course_copy, capsys, other):
    assert run(course_copy) == 0
    path = course_copy / "notebooks" / NOTEBOOKS[-1].name
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell(
        f"Back to [notebook 01](https://mybinder.org/v2/gh/{DEFAULT_REPO}/{other}?labpath=notebooks%2F{NOTEBOOKS[0].name})."))
    nbformat.write(nb, path)
    capsys.readouterr()
    assert run(course_copy, "--check") == 1
    out = capsys.readouterr().out
    assert (f"notebooks/{path.name}: Binder link points at {DEFAULT_REPO} ref {other}, "
            f"course.toml says {DEFAULT_REPO} ref {COURSE.ref}") in out, out
    assert run(course_copy) == 0
    assert f"v2/gh/{DEFAULT_REPO}/{COURSE.ref}?labpath=notebooks%2F{NOTEBOOKS[0].name})." in nbformat.read(
        path, as_version=4).cells[-1].source
    assert run(course_copy, "--check") == 0, capsys.readouterr().out


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


@pytest.mark.parametrize("ref", ["two words", "v1..2", "-x", "/main", "main;rm"])
def test_command_line_refuses_a_ref_git_would_not_take(course_copy, capsys, ref):
    before = snapshot(course_copy)
    with pytest.raises(SystemExit) as stopped:
        run(course_copy, f"--ref={ref}")
    assert stopped.value.code == 2
    assert "--ref must be a branch, tag or commit" in capsys.readouterr().err
    assert snapshot(course_copy) == before


# ---------------------------------------------------------------------------- course.toml

# course.toml as it was before the ref: its branch key is refused, not silently ignored.
OLD_COURSE_TOML = """# Where the course lives on GitHub: the one place that holds its address.
repository = "dqn-course/dqn-keras-course"
# The branch that Colab opens the notebooks from (Binder opens the default branch, HEAD).
branch = "main"
"""

COURSE_TOML_SPELLINGS = {
    "single quotes": "repository = 'teacher/fork'\nref = 'spring'\n",
    "indented, tabs and spaces": "  repository\t=   \"teacher/fork\"   \n\tref =\"spring\"\n",
    "comments after the values": '# the class\nrepository = "teacher/fork"  # our fork\nref = "spring" # term\n',
    "quoted keys": "\"repository\" = \"teacher/fork\"\n'ref' = 'spring'\n[extra]\nnote = \"kept\"\n",
}


@pytest.mark.parametrize("text", COURSE_TOML_SPELLINGS.values(), ids=COURSE_TOML_SPELLINGS.keys())
def test_course_toml_is_read_in_every_valid_spelling_and_moved_to_a_fork_keeping_it(course_copy, text, capsys):
    (course_copy / "course.toml").write_text(text, encoding="utf-8")
    assert badges.read_config(course_copy) == ("teacher/fork", "spring")
    assert run(course_copy, "--repo", "teacher/other-fork") == 0, capsys.readouterr().err
    new = (course_copy / "course.toml").read_text(encoding="utf-8")
    config = tomllib.loads(new)
    assert (config["repository"], config["ref"]) == ("teacher/other-fork", "spring")
    assert {k: v for k, v in config.items() if k != "repository"} == {
        k: v for k, v in tomllib.loads(text).items() if k != "repository"}
    # Only the value changed: the line keeps its indentation, the key's spelling, its quotes and comment.
    assert new == text.replace("teacher/fork", "teacher/other-fork")
    assert run(course_copy, "--check") == 0, capsys.readouterr().out


def test_course_toml_without_a_ref_means_main_and_gets_a_ref_line_only_when_needed(course_copy):
    text = "repository = 'teacher/fork'\n[extra]\nref = 'a key of another table'\nbranch = 'and this one too'\n"
    (course_copy / "course.toml").write_text(text, encoding="utf-8")
    assert badges.read_config(course_copy) == ("teacher/fork", "main")
    assert run(course_copy) == 0
    assert (course_copy / "course.toml").read_text() == text
    assert run(course_copy, "--ref", "v2026.1") == 0
    assert (course_copy / "course.toml").read_text() == text.replace("\n[", '\nref = "v2026.1"\n[', 1)
    assert tomllib.loads((course_copy / "course.toml").read_text()) == {
        "repository": "teacher/fork", "ref": "v2026.1",
        "extra": {"ref": "a key of another table", "branch": "and this one too"}}


BAD_COURSE_TOML = {
    "unclosed string": ('repository = "teacher/fork\n', "not valid TOML"),
    "the key twice": ('repository = "teacher/fork"\nrepository = "teacher/other"\n', "not valid TOML"),
    "not a string": ("repository = 42\n", "must be a string"),
    "not owner/name": ('repository = "just-a-name"\n', "must be a string"),
    "no repository": ('ref = "main"\n', "has no repository"),
    "a bad ref": ('repository = "teacher/fork"\nref = "two words"\n', "ref must be"),
    "a ref with ..": ('repository = "teacher/fork"\nref = "v1..2"\n', "ref must be"),
    "the old branch key": ('repository = "teacher/fork"\nbranch = "main"\n', "the key branch is now called ref"),
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


def test_a_course_toml_with_the_old_branch_key_is_refused_in_one_sentence_and_nothing_written(course_copy, capsys):
    (course_copy / "course.toml").write_text(OLD_COURSE_TOML, encoding="utf-8")
    before = snapshot(course_copy)
    for args in ([], ["--ref", "v2026.1"], ["--check"]):
        assert run(course_copy, *args) == 2
        err = capsys.readouterr().err
        assert err == ("badges: course.toml: the key branch is now called ref (a branch, tag or commit); "
                       "rename it, then run again\n"), err
        assert snapshot(course_copy) == before


def test_a_course_toml_the_line_rewrite_cannot_handle_is_left_as_it_was(course_copy, capsys):
    text = 'repository = """teacher/fork"""\n'  # valid TOML, but not one the tool rewrites by its lines
    (course_copy / "course.toml").write_text(text, encoding="utf-8")
    assert badges.read_config(course_copy) == ("teacher/fork", "main")
    before = snapshot(course_copy)
    assert run(course_copy, "--repo", "teacher/fork2") == 2
    assert "write repository = \"teacher/fork2\"" in capsys.readouterr().err
    assert snapshot(course_copy) == before
