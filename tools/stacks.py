"""Run the course on copies of the stacks learners land on: Colab and Binder.

The course's own tests run on our pins (requirements.txt). Learners who click a badge get
another stack: Colab's preinstalled packages, or repo2docker's base environment plus binder/.
This script builds a throwaway copy of one of them from its versions file in stacks/, applies
what the course applies there, and checks what a learner relies on:

    python3 tools/stacks.py colab     # stacks/colab.txt + each notebook's Colab install block
    python3 tools/stacks.py binder    # stacks/binder.txt + binder/ as repo2docker applies it

Both jobs check that `pip check` is clean, that no package of the base stack was replaced
(another version, or removed) and that no two installed distributions own the same file (one
installed over the other, as pygame-ce does over pygame). Binder's job then starts JupyterLab
and the classic notebook server (repo2docker's default command) and opens the notebooks.
Both run notebooks 01-05 under nbval by default (CI passes `--notebooks 01,02,03,04,05,06`), each
in a fresh kernel, and print each notebook's run time and peak memory (kernel plus any process it
starts).
Colab's job runs each notebook alone in an empty folder, as Colab opens one notebook without
the repository.

The Colab install block installs the package from GitHub at the ref course.toml names; this
job installs the same package from this checkout instead (the machine may not reach GitHub),
after checking that the block names course.toml's repository and ref.

To refresh a versions file when the stacks move, see its header; for Binder:
    python3 tools/stacks.py binder-pins environment.py-3.11-linux-64.lock > stacks/binder.txt

Needs only Python's standard library (3.11+), the Python each stack runs (3.13 for Colab,
binder/runtime.txt's for Binder: from PATH or pyenv), and PyPI. Exit code 0 when every check
passes, 1 when one fails (each failure in one sentence), 2 when the job cannot start.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import pathlib
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
STACKS = ROOT / "stacks"
COLAB_GUARD = 'if "google.colab" in sys.modules:'
DEFAULT_NOTEBOOKS = ("01", "02", "03", "04", "05")
NBVAL_ARGS = ["--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider", "-q", "--color=no"]


class StackError(Exception):
    """The job cannot go on (exit code 2)."""


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# ---------------------------------------------------------------------------- versions files

def read_pins(path: pathlib.Path) -> dict[str, str]:
    """{canonical name: version} of a versions file's `name==version` lines."""
    pins = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([A-Za-z0-9.+!_-]+)", line)
        if not match:
            raise StackError(f"{path.name}, line {number}: expected name==version, not {line!r}")
        pins[canonical(match.group(1))] = match.group(2)
    return pins


def stack_python_version(path: pathlib.Path) -> str:
    """The `# python: 3.X` line of a versions file."""
    match = re.search(r"^#\s*python:\s*(3\.\d+)\s*$", path.read_text(encoding="utf-8"), re.M)
    if not match:
        raise StackError(f"{path.name} has no '# python: 3.X' line")
    return match.group(1)


# conda-forge names whose PyPI distribution is called otherwise; None: not a Python distribution
CONDA_TO_PYPI = {
    "brotli-python": "brotli", "cached-property": "cached-property", "nbconvert-core": "nbconvert",
    "jupyterhub-base": "jupyterhub", "jupyterhub-singleuser": None, "python-fastjsonschema": "fastjsonschema",
    "bleach-with-css": None, "jsonschema-with-format-nongpl": None, "typing-extensions": "typing-extensions",
    "python": None, "python-abi": None, "nodejs": None, "zeromq": None, "tzdata": None, "ca-certificates": None,
    "openssl": None, "icu": None, "krb5": None, "ncurses": None, "readline": None, "tk": None, "zlib": None,
    "zstd": None, "yaml": None, "bzip2": None, "keyutils": None,
}


def pins_from_conda_lock(text: str) -> dict[str, str]:
    """{PyPI name: version} of the Python distributions in a conda explicit lock file.

    A package counts as Python when conda-forge built it for a Python (noarch `py*` builds or
    `py311*`), or it is one of the names in CONDA_TO_PYPI; system libraries (lib*, _*) are left
    out. Names are mapped to PyPI's where they differ (nbconvert-core -> nbconvert, ...).
    """
    pins = {}
    for line in text.splitlines():
        if not line.startswith("http"):
            continue
        filename = line.split("#", 1)[0].rsplit("/", 1)[1]
        stem = re.sub(r"\.(conda|tar\.bz2)$", "", filename)
        name, version, build = stem.rsplit("-", 2)
        key = canonical(name)
        if key in CONDA_TO_PYPI:
            mapped = CONDA_TO_PYPI[key]
        elif key.startswith(("lib", "_")) or not re.match(r"py", build):
            mapped = None
        else:
            mapped = key
        if mapped is not None:
            pins[mapped] = version
    return pins


# ---------------------------------------------------------------------------- course files

def course_ref() -> tuple[str, str]:
    config = tomllib.loads((ROOT / "course.toml").read_text(encoding="utf-8"))
    return config["repository"], config.get("ref", "main")


def colab_install_commands(notebooks: list[pathlib.Path]) -> dict[str, list[list[str]]]:
    """{notebook name: the pip arguments of each `%pip install` line in its Colab block}."""
    found = {}
    for path in notebooks:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            if cell["cell_type"] != "code" or COLAB_GUARD not in source:
                continue
            lines = source.split(COLAB_GUARD, 1)[1].splitlines()[1:]
            commands = []
            for line in lines:
                if line.strip() and not line.startswith((" ", "\t")):
                    break  # the block ends at the first line that is not indented
                words = shlex.split(line, comments=True)
                if words[:2] in (["%pip", "install"], ["!pip", "install"]):
                    commands.append(words[2:])
            found[path.name] = commands
            break
        else:
            raise StackError(f"{path.name} has no Colab install block ({COLAB_GUARD})")
    return found


def local_install_args(args: list[str], repo: str, ref: str) -> tuple[list[str], list[str]]:
    """(a Colab block's pip arguments with the package taken from this checkout, problems).

    A problem is a block that installs the package from another repository or ref than
    course.toml names (the notebooks and course.toml disagree: `make badges` fixes that).
    """
    wanted = f"git+https://github.com/{repo}@{ref}"
    result, problems = [], []
    for arg in args:
        match = re.fullmatch(r"\s*dqn[-_]helpers\s*(\[[^\]]*\])?\s*@\s*(\S+)\s*", arg)
        if match:
            if match.group(2) != wanted:
                problems.append(f"the Colab block installs dqn_helpers from {match.group(2)}, "
                                f"but course.toml names {wanted}: run make badges")
            arg = f"dqn_helpers{match.group(1) or ''} @ {ROOT.as_uri()}"
        result.append(arg)
    return result, problems


# ---------------------------------------------------------------------------- the environment

def find_python(version: str) -> str:
    """An interpreter of this major.minor version: from PATH, else pyenv's."""
    candidates = [f"python{version}", *sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}*/bin/python{version}")))]
    if sys.version_info[:2] == tuple(map(int, version.split("."))):
        candidates.insert(0, sys.executable)
    for candidate in candidates:
        try:
            check = subprocess.run([candidate, "-c", f"import sys; assert sys.version_info[:2] == ({version.replace('.', ', ')})"],
                                   capture_output=True)
        except OSError:
            continue
        if check.returncode == 0:
            return candidate
    raise StackError(f"no Python {version} found on PATH or in pyenv")


# What the venv's Python reports about itself: versions, and which files each distribution owns.
INSPECT = r"""
import importlib.metadata as m, json, os, re, sysconfig
versions, owners = {}, {}
paths = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})  # not the working folder
for dist in m.distributions(path=paths):
    name = re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower()
    versions[name] = dist.version
    for file in dist.files or ():
        if file.suffix == ".pyc" or ".dist-info" in str(file) or str(file).endswith(".pth"):
            continue
        owners.setdefault(os.path.normpath(str(file)), []).append(name)  # relative to site-packages
shared = {path: sorted(set(names)) for path, names in owners.items() if len(set(names)) > 1}
print(json.dumps({"versions": versions, "shared": shared}))
"""


class Venv:
    def __init__(self, python: str, where: pathlib.Path):
        self.dir = where / "venv"
        run([python, "-m", "venv", str(self.dir)])
        self.python = str(self.dir / "bin" / "python")
        self.env = {**os.environ, "PATH": f"{self.dir / 'bin'}{os.pathsep}{os.environ['PATH']}",
                    "VIRTUAL_ENV": str(self.dir), "PIP_DISABLE_PIP_VERSION_CHECK": "1",
                    "TF_CPP_MIN_LOG_LEVEL": "3"}
        self.env.pop("PYTHONPATH", None)

    def pip(self, *args: str, cwd: pathlib.Path | None = None) -> None:
        run([self.python, "-m", "pip", *args, "--quiet"], env=self.env, cwd=cwd)

    def inspect(self) -> dict:
        return json.loads(subprocess.run([self.python, "-c", INSPECT], env=self.env, capture_output=True,
                                         text=True, check=True).stdout)

    def pip_check(self) -> list[str]:
        done = subprocess.run([self.python, "-m", "pip", "check"], env=self.env, capture_output=True, text=True)
        return [] if done.returncode == 0 else [line for line in done.stdout.splitlines() if line.strip()]

    def frozen_constraints(self, where: pathlib.Path) -> pathlib.Path:
        """A constraints file that holds every installed distribution at its version."""
        versions = self.inspect()["versions"]
        path = where / "installed-constraints.txt"
        path.write_text("".join(f"{name}=={version}\n" for name, version in sorted(versions.items())
                                if name not in ("dqn-helpers", "pip")))
        return path


def run(command: list[str], **kwargs) -> None:
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise StackError(f"{shlex.join(command[:6])}{' ...' if len(command) > 6 else ''} failed:\n{tail}")


def replaced(base: dict[str, str], after: dict[str, str]) -> list[str]:
    """One sentence per base package that another install changed or removed."""
    problems = []
    for name, version in sorted(base.items()):
        if name not in after:
            problems.append(f"{name} {version} of the base stack was removed")
        elif after[name] != version:
            problems.append(f"{name} {version} of the base stack was replaced by {after[name]}")
    return problems


def shadowed(shared: dict[str, list[str]]) -> list[str]:
    """One sentence per pair of distributions that own the same files."""
    pairs: dict[tuple[str, ...], list[str]] = {}
    for path, names in shared.items():
        pairs.setdefault(tuple(names), []).append(path)
    return [f"{' and '.join(names)} both own {len(paths)} files (e.g. {sorted(paths)[0]}): "
            "one was installed over the other" for names, paths in sorted(pairs.items())]


# ---------------------------------------------------------------------------- notebooks

def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = pathlib.Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.split("/")[2]))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def rss_bytes(pid: int) -> int:
    try:
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_nbval(venv: Venv, notebook: pathlib.Path, cwd: pathlib.Path) -> tuple[bool, float, float, str]:
    """(passed, seconds, peak MB of the processes pytest starts, pytest's summary) of one notebook."""
    start = time.perf_counter()
    process = subprocess.Popen([venv.python, "-m", "pytest", str(notebook), *NBVAL_ARGS,
                                "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg")],
                               cwd=cwd, env=venv.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0]

    def sample():
        while process.poll() is None:
            peak[0] = max(peak[0], sum(rss_bytes(pid) for pid in descendants(process.pid)))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = process.communicate()[0]
    sampler.join()
    seconds = time.perf_counter() - start
    lines = [line for line in output.splitlines() if line.strip()]
    summary = lines[-1] if lines else "(no output)"
    if process.returncode != 0:  # pytest's report of the failing cells: what differed, or the error
        report = output.split(" FAILURES ", 1)[-1].split(" short test summary info ", 1)[0]
        summary = "\n".join(line for line in report.splitlines() if line.strip())[-3000:] or summary
    return process.returncode == 0, seconds, peak[0] / 2**20, summary


def run_notebooks(venv: Venv, names: list[pathlib.Path], work: pathlib.Path, alone: bool) -> list[str]:
    problems = []
    print(f"  {'notebook':<32} {'result':>6} {'seconds':>8} {'peak MB':>8}", flush=True)
    for source in names:
        if alone:  # Colab: the notebook alone in an empty folder, without the repository
            folder = work / f"alone-{source.stem}"
            folder.mkdir()
            notebook = folder / source.name
            shutil.copy(source, notebook)
        else:
            notebook, folder = work / "repo" / "notebooks" / source.name, work / "repo" / "notebooks"
        passed, seconds, peak_mb, summary = run_nbval(venv, notebook, folder)
        print(f"  {source.name:<32} {'pass' if passed else 'FAIL':>6} {seconds:>8.1f} {peak_mb:>8.0f}", flush=True)
        if not passed:
            problems.append(f"{source.name} fails under nbval:\n{summary}")
    return problems


def pick_notebooks(spec: str) -> list[pathlib.Path]:
    picked = []
    for prefix in spec.split(","):
        matches = sorted((ROOT / "notebooks").glob(f"{prefix.strip()}*.ipynb"))
        if len(matches) != 1:
            raise StackError(f"--notebooks: {prefix!r} names {len(matches)} notebooks, not one")
        picked.append(matches[0])
    return picked


def copy_repository(target: pathlib.Path) -> None:
    """The files git tracks, as repo2docker copies a repository into its image."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True)
    files = listed.stdout.split("\0") if listed.returncode == 0 else None
    if not files:
        shutil.copytree(ROOT, target, ignore=shutil.ignore_patterns(".git", ".venv*", "runs", "student", "__pycache__"))
        return
    for name in filter(None, files):
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, destination)


# ---------------------------------------------------------------------------- servers

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serves(venv: Venv, command: list[str], paths: list[str], cwd: pathlib.Path) -> list[str]:
    """Start a Jupyter server and GET each path; one sentence per path that does not answer 200."""
    port, token = free_port(), "stackcheck"
    args = [*command, "--no-browser", "--ip", "127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}"]
    if os.geteuid() == 0:
        args.append("--allow-root")
    server = subprocess.Popen(args, cwd=cwd, env=venv.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True, start_new_session=True)
    problems = []
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=5)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if server.poll() is not None:
                    return [f"{' '.join(command)} exited at start: {server.stderr.read()[-800:]}"]
                time.sleep(0.5)
        else:
            return [f"{' '.join(command)} did not answer within 90 s"]
        for path in paths:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}{'&' if '?' in path else '?'}token={token}",
                                            timeout=30) as response:
                    body = response.read().decode("utf-8", "replace")
                    status = response.status
            except urllib.error.HTTPError as error:
                status, body = error.code, ""
            except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
                status, body = None, str(error)
            if status != 200:
                problems.append(f"{' '.join(command)}: GET {path} answered {status}")
            elif path.startswith("/api/contents/") and json.loads(body).get("type") != "notebook":
                problems.append(f"{' '.join(command)}: {path} is not served as a notebook")
            else:
                print(f"  {' '.join(command)}: GET {path} -> 200", flush=True)
        # The server shares the session's memory with the kernels: what it holds once it has served.
        print(f"  {' '.join(command)}: the server holds {rss_bytes(server.pid) / 2**20:.0f} MB", flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    return problems


# ---------------------------------------------------------------------------- the two jobs

def test_tools(venv: Venv, work: pathlib.Path) -> None:
    """nbval (at requirements.txt's pin) on top, holding every installed package where it is."""
    pin = re.search(r"^nbval==\S+", (ROOT / "requirements.txt").read_text(encoding="utf-8"), re.M)
    venv.pip("install", "-c", str(venv.frozen_constraints(work)), pin.group(0) if pin else "nbval")


def check_installed(venv: Venv, base: dict) -> list[str]:
    """pip check, then what changed since the base stack (base: Venv.inspect() of it): replaced
    packages, and files that two packages own now but did not in the base (in Colab's base,
    tensorflow and tensorboard both install the `tensorboard` command: not ours to judge)."""
    state = venv.inspect()
    problems = [f"pip check: {line}" for line in venv.pip_check()]
    problems += replaced(base["versions"], state["versions"])
    problems += shadowed({path: names for path, names in state["shared"].items() if base["shared"].get(path) != names})
    return problems


def colab(work: pathlib.Path, notebooks: list[pathlib.Path]) -> list[str]:
    versions = STACKS / "colab.txt"
    pins = read_pins(versions)
    venv = Venv(find_python(stack_python_version(versions)), work)
    step("base stack", f"{len(pins)} packages of {versions.relative_to(ROOT)}")
    if "pip" in pins:
        venv.pip("install", f"pip=={pins['pip']}")
    # Every other package the install pulls in comes at the version Colab has (URL lines left out).
    freeze = work / "colab-constraints.txt"
    freeze.write_text("".join(line for line in (STACKS / "colab-pip-freeze.txt").read_text(encoding="utf-8")
                              .splitlines(keepends=True) if "==" in line and "@" not in line))
    venv.pip("install", "-r", str(versions), "-c", str(freeze))
    base = venv.inspect()
    problems = check_installed(venv, base)  # the copy itself must be sound before we judge our installs

    repo, ref = course_ref()
    commands = colab_install_commands(pick_notebooks(",".join(DEFAULT_NOTEBOOKS + ("06",))))
    blocks = list(dict.fromkeys(tuple(map(tuple, block)) for block in commands.values()))
    step("Colab install blocks", f"{len(blocks)} distinct block(s) in {len(commands)} notebooks, run in order")
    for block in blocks:
        for args in block:
            print(f"  %pip install {shlex.join(args)}", flush=True)
            local, mismatches = local_install_args(list(args), repo, ref)
            problems += list(dict.fromkeys(mismatches))
            venv.pip("install", *local)
    problems += check_installed(venv, base)

    step("nbval", "each notebook alone in an empty folder, as Colab opens it")
    test_tools(venv, work)
    problems += run_notebooks(venv, notebooks, work, alone=True)
    return problems


def binder(work: pathlib.Path, notebooks: list[pathlib.Path]) -> list[str]:
    versions = STACKS / "binder.txt"
    pins = read_pins(versions)
    python = (ROOT / "binder" / "runtime.txt").read_text(encoding="utf-8").strip().removeprefix("python-")
    if stack_python_version(versions) != python:
        return [f"binder/runtime.txt asks for Python {python}, but {versions.name} is the base env of "
                f"Python {stack_python_version(versions)}: refresh it from repo2docker's lock for {python}"]
    venv = Venv(find_python(python), work)
    step("base environment", f"{len(pins)} packages of {versions.relative_to(ROOT)}")
    for bootstrap in ("pip", "setuptools", "wheel"):
        if bootstrap in pins:
            venv.pip("install", f"{bootstrap}=={pins[bootstrap]}")
    venv.pip("install", "-r", str(versions))
    base = venv.inspect()
    problems = check_installed(venv, base)

    step("binder/", "pip install -r binder/requirements.txt, then binder/postBuild, in a copy of the repository")
    repo = work / "repo"
    copy_repository(repo)
    venv.pip("install", "-r", str(repo / "binder" / "requirements.txt"))
    run(["bash", str(repo / "binder" / "postBuild")], cwd=repo, env=venv.env)
    problems += check_installed(venv, base)

    step("servers", "JupyterLab, and the classic notebook server that repo2docker's default command starts")
    first = notebooks[0].name
    problems += serves(venv, ["jupyter", "lab"], ["/lab", f"/lab/tree/notebooks/{first}", f"/api/contents/notebooks/{first}"], repo)
    problems += serves(venv, ["jupyter", "notebook"], ["/tree", f"/notebooks/notebooks/{first}", f"/api/contents/notebooks/{first}"], repo)

    step("nbval", "in the repository's notebooks/ folder, as Binder opens them")
    test_tools(venv, work)
    problems += run_notebooks(venv, notebooks, work, alone=False)
    return problems


def step(title: str, detail: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {title}: {detail}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("job", choices=["colab", "binder", "binder-pins"])
    parser.add_argument("lock", nargs="?", help="binder-pins: repo2docker's conda lock file")
    parser.add_argument("--notebooks", default=",".join(DEFAULT_NOTEBOOKS),
                        help="notebook number prefixes, comma-separated (default: 01-05)")
    args = parser.parse_args(argv)
    try:
        if args.job == "binder-pins":
            if not args.lock:
                raise StackError("binder-pins needs the path of repo2docker's lock file")
            for name, version in sorted(pins_from_conda_lock(pathlib.Path(args.lock).read_text()).items()):
                print(f"{name}=={version}")
            return 0
        notebooks = pick_notebooks(args.notebooks)
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix=f"stack-{args.job}-") as tmp:
            problems = (colab if args.job == "colab" else binder)(pathlib.Path(tmp), notebooks)
    except (StackError, OSError, KeyError) as error:
        print(f"stacks {args.job}: {error}", file=sys.stderr)
        return 2
    minutes = (time.perf_counter() - start) / 60
    problems = list(dict.fromkeys(problems))  # a problem of the base stack is found again after each install
    if problems:
        print(f"stacks {args.job}: {len(problems)} problem(s) in {minutes:.1f} min:", file=sys.stderr)
        for problem in problems:
            print(f"- {problem}", file=sys.stderr)
        return 1
    print(f"stacks {args.job}: every check passed in {minutes:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
