"""Installing dqn_helpers on Colab adds the package and only what Colab lacks: Colab keeps its TensorFlow.

pip is asked what it would do (``--dry-run --report``), so nothing is installed. Colab is
simulated by a throwaway environment whose site-packages holds the metadata of Colab's
packages (stacks/colab.txt), which is all pip's resolver looks at; the resolution itself
needs PyPI, as installing does. The fake metadata lists no dependencies of Colab's own packages,
so a package's extras (gymnasium's pygame-ce) are checked by the real copy of Colab that
`python3 tools/stacks.py colab` builds in CI.
"""
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest
from packaging.requirements import Requirement

ROOT = pathlib.Path(__file__).resolve().parents[1]
COLAB = ROOT / "stacks" / "colab.txt"
sys.path.insert(0, str(ROOT / "tools"))
import stacks  # noqa: E402  (reads the versions files, finds Colab's Python)

canonical = stacks.canonical
COLAB_LACKS = {"rliable", "arch"}  # notebook 06's statistics and its bootstrap library


def colab_versions():
    return stacks.read_pins(COLAB)


def python313():
    """Colab's Python if this machine has it (PATH or pyenv), else this interpreter."""
    try:
        return stacks.find_python(stacks.stack_python_version(COLAB))
    except stacks.StackError:
        return sys.executable


def fake_environment(tmp_path, packages):
    """A venv without pip whose site-packages claims ``packages`` ({name: version}) are installed."""
    target = tmp_path / "env"
    subprocess.run([python313(), "-m", "venv", "--without-pip", str(target)], check=True)
    site = next(target.glob("lib/python3.*/site-packages"))
    for name, version in packages.items():
        info = site / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        (info / "INSTALLER").write_text("colab\n")
    return target / "bin" / "python"


def would_install(python, *requirements, tmp_path):
    """{name: version} that ``pip install`` would install or replace in ``python``'s environment."""
    report = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--dry-run", "--quiet",
                           "--report", str(report), *requirements], capture_output=True, text=True, timeout=900)
    if done.returncode and re.search(r"(?i)connection|network is unreachable|name resolution|timed out", done.stderr):
        pytest.skip(f"PyPI is unreachable: {done.stderr.strip().splitlines()[-1]}")
    assert done.returncode == 0, done.stderr[-3000:]
    return {canonical(item["metadata"]["name"]): item["metadata"]["version"]
            for item in json.loads(report.read_text())["install"]}


def test_installing_on_colab_adds_only_the_package_and_replaces_none_of_colabs(tmp_path):
    # What the notebooks' Colab block runs: the package with its dependencies, which Colab has.
    # TensorFlow as a dependency would add tensorflow-cpu next to Colab's tensorflow.
    colab = colab_versions()
    installs = would_install(fake_environment(tmp_path, colab), str(ROOT), tmp_path=tmp_path)
    others = {name: f"{colab.get(name, 'not installed')} -> {version}"
              for name, version in installs.items() if name != "dqn-helpers"}
    assert "dqn-helpers" in installs
    # Notebook 06's statistics need rliable and its bootstrap library, arch, which Colab lacks: added,
    # nothing of Colab's replaced.
    assert set(others) == COLAB_LACKS and all(v.startswith("not installed ->") for v in others.values()), \
        f"installing dqn_helpers on Colab would also install or replace {others}"


def test_a_machine_without_tensorflow_gets_the_small_cpu_wheel_from_the_extra(tmp_path):
    installs = would_install(fake_environment(tmp_path, {}), f"{ROOT}[tensorflow]", tmp_path=tmp_path)
    if sys.platform == "linux" and os.uname().machine == "x86_64":
        assert "tensorflow-cpu" in installs and "tensorflow" not in installs
    else:
        assert "tensorflow" in installs


def test_the_course_pins_the_cpu_wheel_on_linux_x86_64_and_keras_above_the_package_floor():
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"sys_platform": "linux", "platform_machine": "x86_64"}):
                pins[canonical(requirement.name)] = requirement.specifier
    assert "tensorflow-cpu" in pins and "tensorflow" not in pins
    import tomllib

    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    keras_floor = next(Requirement(d).specifier for d in dependencies if d.startswith("keras"))
    assert colab_versions()["keras"] in keras_floor  # Colab's Keras is tested (notebooks 01-05)
    assert next(iter(pins["keras"])).version in keras_floor
