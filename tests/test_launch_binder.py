"""Binder: binder/ is what repo2docker builds from, and it agrees with the root requirements.

repo2docker reads only binder/ when that folder exists, so the root requirements.txt (with its
editable `-e .`) is not used on Binder: binder/requirements.txt repeats its pins, and
binder/postBuild installs the package once the repository is in place. The notebook server and
JupyterLab come with repo2docker's base environment (stacks/binder.txt), which the kernel shares:
binder/ must not pin them. `python3 tools/stacks.py binder` (CI) builds and runs that stack.
"""
import importlib.util
import os
import pathlib
import re
import shutil
import stat
import subprocess
import sys
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = pathlib.Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
# For the tests and the teacher's tools (make badges, make student), not for a learner on Binder.
TEST_ONLY = {"nbval", "pytest", "hypothesis", "nbformat", "packaging"}


def read_requirements(path):
    """(requirements, other lines such as "-e .") of a pip requirements file."""
    requirements, options = [], []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = re.sub(r"(^|\s)#.*", "", raw).strip()
        if not line:
            continue
        if line.startswith("-"):
            options.append(line)
        else:
            requirements.append(Requirement(line))
    return requirements, options


def base_environment():
    """The canonical names of the packages in repo2docker's base environment (stacks/binder.txt)."""
    names = set()
    for raw in (ROOT / "stacks" / "binder.txt").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            names.add(Requirement(line).name.lower().replace("_", "-"))
    return names


def binder_python():
    return re.fullmatch(r"python-(3\.\d+)", (BINDER / "runtime.txt").read_text(encoding="utf-8").strip()).group(1)


def binder_environment():
    """The marker environment of a Binder image: Linux x86_64 with runtime.txt's Python."""
    version = binder_python()
    return {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix",
            "python_version": version, "python_full_version": f"{version}.0",
            "implementation_name": "cpython", "platform_python_implementation": "CPython"}


def test_runtime_names_a_supported_python_as_major_minor():
    text = (BINDER / "runtime.txt").read_text(encoding="utf-8")
    assert re.fullmatch(r"python-3\.\d+\n?", text), f"runtime.txt must read python-3.X, not {text!r}"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    assert binder_python() in SpecifierSet(requires), f"Binder's Python {binder_python()} is outside {requires}"


def test_binder_pins_agree_with_the_root_requirements():
    root, root_options = read_requirements(ROOT / "requirements.txt")
    binder, binder_options = read_requirements(BINDER / "requirements.txt")
    assert "-e ." in root_options
    assert binder_options == [], "binder/requirements.txt installs no package by option; postBuild installs dqn_helpers"

    environment, base = binder_environment(), base_environment()
    expected = {r.name: r for r in root if r.name not in TEST_ONLY and r.name not in base
                and (r.marker is None or r.marker.evaluate(environment))}
    pinned = {r.name: r for r in binder}
    assert len(pinned) == len(binder), "a package appears twice in binder/requirements.txt"
    assert pinned.keys() & base == set(), "binder/requirements.txt would replace the server's own packages"
    assert "tensorflow-cpu" in pinned, "Binder uses the CPU-only TensorFlow wheel"
    assert pinned.keys() - expected.keys() == set(), "in binder/requirements.txt only"
    assert expected.keys() - pinned.keys() == set(), "in requirements.txt (for Linux x86_64) but not on Binder"
    for name, requirement in pinned.items():
        assert requirement.marker is None, f"{name}: no marker is needed on Binder"
        assert str(requirement.specifier).startswith("=="), f"{name} is not pinned with =="
        assert requirement.specifier == expected[name].specifier, (
            f"{name}: binder pins {requirement.specifier}, requirements.txt {expected[name].specifier}")
        assert requirement.extras == expected[name].extras, f"{name}: extras differ"


def test_both_tensorflow_lines_of_the_root_file_pin_the_same_release():
    root, _ = read_requirements(ROOT / "requirements.txt")
    versions = {str(r.specifier) for r in root if r.name in ("tensorflow", "tensorflow-cpu")}
    assert len(versions) == 1, f"tensorflow and tensorflow-cpu pinned differently: {versions}"


def test_post_build_is_an_executable_bash_script_that_stops_on_errors_and_installs_the_package():
    path = BINDER / "postBuild"
    text = path.read_text(encoding="utf-8")
    assert path.stat().st_mode & stat.S_IXUSR, "repo2docker runs binder/postBuild directly: chmod +x it"
    assert "\r" not in text, "postBuild must have Unix line endings"
    lines = [l.strip() for l in text.splitlines()]
    assert lines[0] in ("#!/bin/bash", "#!/usr/bin/env bash"), "postBuild needs a bash shebang line"
    commands = [l for l in lines[1:] if l and not l.startswith("#")]
    assert commands[0] == "set -e", "the first command of postBuild must be set -e"
    assert any(re.search(r"pip install .*--no-deps.* -e \.$", c) for c in commands), (
        "postBuild installs dqn_helpers (pip install --no-deps -e .): binder/requirements.txt holds its dependencies")
    subprocess.run(["bash", "-n", str(path)], check=True, timeout=30)


def run_repo2docker(repo, tmp_path):
    # --no-build writes the Dockerfile it would build to the log and stops: no Docker engine needed.
    return subprocess.run([sys.executable, "-m", "repo2docker", "--no-build", "--debug", str(repo)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=180,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})


needs_repo2docker = pytest.mark.skipif(
    importlib.util.find_spec("repo2docker") is None,
    reason="repo2docker is not installed: pip install -r requirements-dev.txt (CI does)")


@needs_repo2docker
def test_repo2docker_accepts_binder_and_would_build_from_it(tmp_path):
    result = run_repo2docker(ROOT, tmp_path)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert f"python={binder_python()}" in log, "repo2docker did not pick runtime.txt's Python"
    assert 'pip install --no-cache-dir -r "binder/requirements.txt"' in log
    assert '-r "requirements.txt"' not in log, "repo2docker should ignore the root requirements.txt"
    assert "./binder/postBuild" in log


@needs_repo2docker
def test_repo2docker_check_fails_on_a_bad_runtime(tmp_path):
    """The check has teeth: a three-part version in runtime.txt, as Binder users often write, fails it."""
    repo = tmp_path / "repo"
    shutil.copytree(BINDER, repo / "binder")
    (repo / "binder" / "runtime.txt").write_text(f"python-{binder_python()}.7\n")
    result = run_repo2docker(repo, tmp_path)
    assert result.returncode != 0
    assert "must always be specified as 'x.y'" in result.stdout + result.stderr
