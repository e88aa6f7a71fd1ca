"""Check that every number the notebooks' prose quotes is shown by an output of that notebook.

A course loses trust the moment a sentence says "about 20 steps" next to an output that prints
23.2. The rule (see STYLE.md, "A claim is shown by an output"): a number in a markdown cell must
either

- appear in an output of the same notebook (printed text, a returned value, a figure's alt text
  does not count), possibly rounded: prose "23" or "23.2" matches an output 23.17, "24,576"
  matches 24576, "86%" matches 0.86 or 86.0; or
- be one of the constants prose may quote without a run: the default of a `DQNConfig` field
  (read from the package, so a changed default is seen), CartPole-v1's 475 and 500, the small
  counts 0-10 (exercise numbers, pseudocode lines, "two networks"), a year 1950-2029 (citations),
  a two-digit notebook number (01-06), a reference ("line 13" of the pseudocode, "lines
  13-14", "Exercise 3", "step 4"), a reading-time estimate ("45 minutes of reading"), or a number in the short per-notebook list below, each
  with the reason it is not a measurement.

Numbers inside code (inline `code`, fenced blocks), LaTeX math ($...$), link targets, HTML tags
and solution cells (nbgrader metadata "solution": true) are not prose. Numbers that a cell prints itself with an f-string need
no entry anywhere: they are outputs.

    python tools/prose_numbers.py notebooks/*.ipynb   # list every unsupported number, exit 1 if any

tests/test_prose_numbers.py runs the same check on every notebook, and `make notebooks` runs it
after re-executing them, so a re-run that changes an output the prose quotes fails at once.
"""
from __future__ import annotations

import dataclasses
import json
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))  # notebook_io, next to this file
from notebook_io import is_solution  # noqa: E402

# Constants a notebook's prose may quote that no output of it prints, with why each is allowed.
PER_NOTEBOOK = {
    "01_q_learning_basics.ipynb": {
        16: "FrozenLake's 4x4 map has 16 states",
        48: "CliffWalking's 4x12 grid has 48 states",
        12: "CliffWalking's grid is 12 columns wide",
        -100: "CliffWalking's cliff reward",
        -1: "the reward per step on CliffWalking",
        0.99: "the discount factor used throughout",
        6.6: "Sutton & Barto (2018): section 6.6 (Expected Sarsa) and Example 6.6 (cliff walking)",
    },
    "03_replay_buffer.ipynb": {
        84: "Atari frames are downscaled to 84x84 pixels (Mnih et al., 2015)",
    },
    "04_training_loop.ipynb": {
        11.3: "a section number: Sutton & Barto (2018), section 11.3, the deadly triad",
        84: "Mnih et al. (2015) Atari setting: frames downscaled to 84x84 pixels",
        512: "Mnih et al. (2015) Atari setting: 512 units in the dense layer",
        32: "Mnih et al. (2015) Atari setting: minibatch of 32 transitions",
        40_000: "Mnih et al. (2015) Atari setting: a target copy every 10,000 updates, one update per 4 actions",
        0.00025: "Mnih et al. (2015) Atari setting: RMSProp learning rate",
        1_000_000: "Mnih et al. (2015) Atari setting: replay memory size, and frames of epsilon decay",
        0.1: "Mnih et al. (2015) Atari setting: final exploration rate",
        50_000_000: "Mnih et al. (2015) Atari setting: frames of training",
    },
    "06_beyond_vanilla_dqn.ipynb": {
        -500: "Acrobot-v1's return when an episode is cut at its 500-step limit (-1 per step)",
        18: "the Atari 2600's full action set has 18 actions",
        104: "Acrobot's study settings were chosen on vanilla's seeds 100-104 before the study (study/run_study.py says so)",
    },
}
GLOBAL = {
    475: "CartPole-v1's reward_threshold",
    500: "CartPole-v1's time limit and maximum return",
    -1: "minus one, as in 'gamma^(k-1)' or a sign",
}
SMALL_COUNTS = range(0, 11)

_FENCED = re.compile(r"```.*?```", re.S)
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.S)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_URL = re.compile(r"https?://\S+")
_HTML_TAG = re.compile(r"<[^>\n]*>")
_RANGE_DASH = re.compile(r"(?<=\d)[-–](?=\d)")  # "449-471": both ends are numbers to check
# A number right after these words refers to something rather than measuring it: "line 13" of
# the pseudocode, "lines 13-14", "Exercise 3", "about 45 minutes of reading" (an estimate).
_REFERENCE_BEFORE = re.compile(r"(?:\b[Ll]ines?\s+(?:\d+\s*(?:,|and|to)\s*)*|\bExercises?|\b[Ss]tep|\b[Nn]otebooks?)\s*$")
_REFERENCE_AFTER = re.compile(r"^\s*minutes? of reading")
NUMBER = re.compile(
    r"(?<![\w.\-/])(?P<sign>[-−])?(?P<body>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?"
    r"(?P<exp>e[-+]?\d+)?(?P<pct>\s?%)?(?![\w])")
# Output numbers: plain floats and ints, as Python and NumPy print them.
OUT_NUMBER = re.compile(r"(?<![\w.])[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:e[-+]?\d+)?")


@dataclasses.dataclass(frozen=True)
class Finding:
    notebook: str
    cell: int
    number: str
    context: str

    def __str__(self):
        return f"{self.notebook} cell [{self.cell}]: {self.number!r} is in no output: ...{self.context}..."


def config_defaults():
    """The default values of every DQNConfig field (numbers, and the items of tuples)."""
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
    try:
        from dqn_helpers.config import DQNConfig
    except ImportError:  # run outside the course's venv: no config constants
        return set()
    values = set()
    for field in dataclasses.fields(DQNConfig):
        default = field.default
        for value in default if isinstance(default, tuple) else (default,):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                values.add(float(value))
    return values


def prose(source: str) -> str:
    """A markdown cell's text with code, math, link targets and HTML tags blanked out."""
    for pattern in (_FENCED, _MATH, _INLINE_CODE, _LINK_TARGET, _URL, _HTML_TAG):
        source = pattern.sub(" ", source)
    return _RANGE_DASH.sub(" to ", source)


def parse(match: re.Match) -> tuple[float, int, bool]:
    """(value, decimals, is_percent) of a number matched by NUMBER."""
    body = match.group("body").replace(",", "")
    frac = match.group("frac") or ""
    exp = match.group("exp") or ""
    value = float(body + frac + exp)
    if match.group("sign"):
        value = -value
    return value, len(frac) - 1 if frac else 0, bool(match.group("pct"))


def output_texts(cell) -> list[str]:
    texts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            texts.append("".join(output.get("text", "")))
        for key in ("text/plain", "text/markdown", "text/html"):
            value = output.get("data", {}).get(key)
            if value:
                texts.append("".join(value))
    return texts


def output_numbers(notebook) -> list[float]:
    numbers = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        for text in output_texts(cell):
            for token in OUT_NUMBER.findall(text):
                try:
                    numbers.append(float(token.replace(",", "").replace("−", "-")))
                except ValueError:
                    pass
    return numbers


def shown(value: float, decimals: int, percent: bool, outputs) -> bool:
    """Whether some output, rounded to as many decimals as the prose gives, is the prose's number.

    A percentage also matches a fraction: "86%" is shown by 0.86 (or 0.861).
    """
    for number in outputs:
        for scale in ((1.0, 100.0) if percent else (1.0,)):
            if abs(round(number * scale, decimals) - value) < 1e-9 * max(1.0, abs(value)):
                return True
    return False


def allowed(value: float, token: str, notebook_name: str, defaults: set[float]) -> bool:
    if value in SMALL_COUNTS or value in GLOBAL or value in defaults:
        return True
    if value.is_integer() and 1950 <= value <= 2029 and "," not in token:
        return True  # a year, as in a citation
    if re.fullmatch(r"0[1-6]", token):
        return True  # a notebook's number
    return value in PER_NOTEBOOK.get(notebook_name, {})


def check_notebook(path: pathlib.Path, defaults: set[float] | None = None) -> list[Finding]:
    """Every number in the notebook's prose that no output shows and no rule allows."""
    defaults = config_defaults() if defaults is None else defaults
    notebook = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    outputs = output_numbers(notebook)
    findings = []
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "markdown" or is_solution(cell):
            continue
        text = prose("".join(cell["source"]))
        for match in NUMBER.finditer(text):
            value, decimals, percent = parse(match)
            token = match.group(0).strip()
            if _REFERENCE_BEFORE.search(text[:match.start()]) or _REFERENCE_AFTER.match(text[match.end():]):
                continue
            if allowed(value, token, path.name, defaults) or shown(value, decimals, percent, outputs):
                continue
            start, end = max(match.start() - 40, 0), min(match.end() + 40, len(text))
            findings.append(Finding(path.name, index, token, " ".join(text[start:end].split())))
    return findings


def main(argv: list[str]) -> int:
    paths = [pathlib.Path(a) for a in argv] or sorted(pathlib.Path("notebooks").glob("[0-9]*.ipynb"))
    defaults = config_defaults()
    findings = [f for path in paths for f in check_notebook(path, defaults)]
    for finding in findings:
        print(finding)
    print(f"{len(findings)} number(s) in prose that no output shows, in {len(paths)} notebook(s).")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
