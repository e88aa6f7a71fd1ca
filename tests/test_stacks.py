"""tools/stacks.py: the copies of Colab and Binder that CI builds, and the checks it runs on them.

The jobs themselves (minutes each, PyPI needed) run in CI: `python3 tools/stacks.py colab` and
`... binder`. Here: that the versions files are well-formed and agree with their sources, and
that each check finds what it is there to find.
"""
import json
import os
import pathlib
import re
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import stacks  # noqa: E402


def test_colab_versions_agree_with_colabs_published_freeze():
    freeze = {}
    for line in (ROOT / "stacks" / "colab-pip-freeze.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            freeze[stacks.canonical(name)] = version.strip()
    pins = stacks.read_pins(ROOT / "stacks" / "colab.txt")
    assert {"tensorflow", "keras", "numpy", "gymnasium", "pygame", "ipykernel"} <= pins.keys()
    disagree = {name: (version, freeze.get(name)) for name, version in pins.items() if freeze.get(name) != version}
    assert disagree == {}, "stacks/colab.txt differs from colab-pip-freeze.txt (pinned, in the freeze)"
    assert stacks.stack_python_version(ROOT / "stacks" / "colab.txt") == "3.13"


def test_binder_base_environment_holds_the_server_and_matches_runtime_txt():
    pins = stacks.read_pins(ROOT / "stacks" / "binder.txt")
    assert {"jupyterlab", "notebook", "jupyter-server", "jupyterhub", "ipykernel", "ipywidgets"} <= pins.keys()
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip().removeprefix("python-")
    assert stacks.stack_python_version(ROOT / "stacks" / "binder.txt") == runtime


LOCK = """\
# platform: linux-64
@EXPLICIT
https://conda.anaconda.org/conda-forge/linux-64/libgcc-15.2.0-h767d61c_7.conda#c0374b
https://conda.anaconda.org/conda-forge/linux-64/python-3.11.14-hfe2f287_1_cpython.conda#e87c75
https://conda.anaconda.org/conda-forge/linux-64/nodejs-20.19.5-hf7ee748_0.conda#2cbd9a
https://conda.anaconda.org/conda-forge/noarch/jupyterlab-4.4.9-pyhd8ed1ab_0.conda#6fcc0f
https://conda.anaconda.org/conda-forge/linux-64/tornado-6.5.2-py311h49ec1c0_1.conda#18a98f
https://conda.anaconda.org/conda-forge/noarch/nbconvert-core-7.16.6-pyh29332c3_0.conda#d24bed
https://conda.anaconda.org/conda-forge/noarch/jupyterhub-base-5.4.0-pyhc90fa1f_0.conda#593072
https://conda.anaconda.org/conda-forge/linux-64/jupyterhub-singleuser-5.4.0-hd843c07_0.conda#4fe3d3
https://conda.anaconda.org/conda-forge/noarch/cached_property-1.5.2-pyha770c72_1.tar.bz2#576d62
https://conda.anaconda.org/conda-forge/noarch/typing_extensions-4.15.0-pyhcf101f3_0.conda#0caa1a
"""


def test_a_conda_lock_becomes_pypi_pins_of_its_python_packages_only():
    assert stacks.pins_from_conda_lock(LOCK) == {
        "jupyterlab": "4.4.9", "tornado": "6.5.2", "nbconvert": "7.16.6", "jupyterhub": "5.4.0",
        "cached-property": "1.5.2", "typing-extensions": "4.15.0"}


@pytest.mark.parametrize("line", ["numpy>=2", "numpy", "numpy==2.1 extra words", "-e ."])
def test_a_versions_line_that_is_not_name_equals_version_stops_with_its_line_number(tmp_path, line):
    path = tmp_path / "x.txt"
    path.write_text(f"# python: 3.13\nkeras==3.13.2\n{line}\n")
    with pytest.raises(stacks.StackError, match=r"x\.txt, line 3: expected name==version"):
        stacks.read_pins(path)


def test_every_notebook_has_one_colab_block_installing_the_package_at_course_tomls_ref():
    repo, ref = stacks.course_ref()
    blocks = stacks.colab_install_commands(sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")))
    assert len(blocks) == 6
    for name, block in blocks.items():
        local, problems = stacks.local_install_args([arg for args in block for arg in args], repo, ref)
        assert problems == [], name
        assert any(arg.startswith("dqn_helpers @ file://") for arg in local), name


def test_a_colab_block_at_another_ref_is_a_problem_and_still_installs_from_the_checkout():
    local, problems = stacks.local_install_args(
        ["--quiet", "dqn_helpers @ git+https://github.com/dqn-course/dqn-keras-course"], "dqn-course/dqn-keras-course", "v1")
    assert problems == ["the Colab block installs dqn_helpers from git+https://github.com/dqn-course/dqn-keras-course, "
                        "but course.toml names git+https://github.com/dqn-course/dqn-keras-course@v1: run make badges"]
    assert local == ["--quiet", f"dqn_helpers @ {ROOT.as_uri()}"]


def test_a_base_package_replaced_or_removed_is_named():
    base = {"pygame": "2.6.1", "numpy": "2.1.3", "keras": "3.13.2"}
    after = {"pygame": "2.6.1", "numpy": "2.4.6", "dqn-helpers": "0.1.0"}
    assert stacks.replaced(base, after) == ["keras 3.13.2 of the base stack was removed",
                                            "numpy 2.1.3 of the base stack was replaced by 2.4.6"]
    assert stacks.replaced(base, {**base, "dqn-helpers": "0.1.0"}) == []


def fake_distribution(site, name, version, files):
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "RECORD").write_text("".join(f"{file},,\n" for file in files) + f"{info.name}/RECORD,,\n")
    for file in files:
        (site / file).parent.mkdir(parents=True, exist_ok=True)
        (site / file).write_text("")


def test_two_distributions_that_own_the_same_files_are_found_by_the_environments_own_python(tmp_path):
    # pygame-ce installs into pygame/, over the pygame that is already there: both RECORDs list the files.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "env")], check=True)
    site = next((tmp_path / "env").glob("lib/python3.*/site-packages"))
    fake_distribution(site, "pygame", "2.6.1", ["pygame/__init__.py", "pygame/base.so"])
    fake_distribution(site, "pygame-ce", "2.5.6", ["pygame/__init__.py", "pygame/base.so", "pygame/_sdl2.so"])
    fake_distribution(site, "numpy", "2.1.3", ["numpy/__init__.py"])
    python = str(tmp_path / "env" / "bin" / "python")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}  # only the venv's packages
    state = json.loads(subprocess.run([python, "-c", stacks.INSPECT], capture_output=True, text=True, check=True,
                                      env=env).stdout)
    assert state["versions"] == {"pygame": "2.6.1", "pygame-ce": "2.5.6", "numpy": "2.1.3"}
    assert stacks.shadowed(state["shared"]) == [
        "pygame and pygame-ce both own 2 files (e.g. pygame/__init__.py): one was installed over the other"]


def test_peak_memory_counts_every_process_a_run_starts():
    # A parent that starts a child holding ~200 MB: the child is a descendant, and its memory is counted.
    code = ("import subprocess, sys, time; "
            "p = subprocess.Popen([sys.executable, '-c', 'b = b\\'x\\' * (200 * 2**20); import time; time.sleep(30)']); "
            "time.sleep(30)")
    parent = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline, total = time.time() + 20, 0
        while time.time() < deadline and total < 200 * 2**20:
            time.sleep(0.2)
            children = stacks.descendants(parent.pid)
            total = sum(stacks.rss_bytes(pid) for pid in children)
        assert len(children) == 1 and total >= 200 * 2**20
    finally:
        for pid in stacks.descendants(parent.pid):
            subprocess.run(["kill", str(pid)])
        parent.kill()
        parent.wait()


def test_the_jobs_refuse_a_notebook_prefix_that_names_no_notebook_in_one_sentence(capsys):
    assert stacks.main(["colab", "--notebooks", "01,99"]) == 2
    err = capsys.readouterr().err
    assert err == "stacks colab: --notebooks: '99' names 0 notebooks, not one\n"


def test_ci_runs_both_jobs():
    text = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^python3 tools/stacks\.py colab\b", text, re.M)
    assert re.search(r"^python3 tools/stacks\.py binder\b", text, re.M)
