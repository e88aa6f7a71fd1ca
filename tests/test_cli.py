"""The command line: a short real run, and one clear sentence for each kind of bad input."""
import json
import subprocess
import sys

import pytest

from dqn_helpers.cli import main

FAST = ["--total-steps", "600", "--learning-starts", "100", "--eval-every", "300", "--eval-episodes", "2",
        "--hidden-sizes", "16", "16", "--no-progress"]


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "dqn_helpers", *args], capture_output=True, text=True, timeout=300)


def assert_clear_error(result_or_code, stderr, *fragments):
    code = result_or_code
    assert code == 2
    lines = [line for line in stderr.strip().splitlines() if line]
    assert len(lines) == 1, stderr  # one sentence, no traceback
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_train_then_evaluate(tmp_path):
    out = tmp_path / "runs" / "cartpole-s0"
    result = run_cli("train", "--env", "CartPole-v1", "--seed", "0", "--out", str(out), *FAST)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "config.json", "history.csv", "learning_curve.png", "model.keras", "results.json"]
    results = json.loads((out / "results.json").read_text())
    for key in ["env_id", "seed", "solved", "env_steps", "wall_seconds", "eval_mean", "eval_std", "steps_per_second"]:
        assert key in results
    assert results["env_id"] == "CartPole-v1" and results["env_steps"] == 600
    assert [p.name for p in out.parent.iterdir()] == ["cartpole-s0"]  # no partial folder left

    gif = tmp_path / "episode.gif"
    result = run_cli("evaluate", str(out), "--episodes", "3", "--gif", str(gif))
    assert result.returncode == 0, result.stderr
    assert "greedy return" in result.stdout and "over 3 episodes" in result.stdout
    assert gif.read_bytes()[:6] in (b"GIF87a", b"GIF89a")


def test_unknown_env_in_a_real_process(tmp_path):
    result = run_cli("train", "--env", "CartPoleX-v1", "--out", str(tmp_path / "x"))
    assert_clear_error(result.returncode, result.stderr, "Unknown environment id 'CartPoleX-v1'")
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["--env", "Pendulum-v1"], ["Pendulum-v1 has the action space Box", "Discrete"]),
        (["--gamma", "1.5"], ["DQNConfig.gamma must be a number in [0.0, 1.0)", "1.5"]),
        (["--batch-size", "512", "--buffer-size", "100"], ["batch_size must not exceed buffer_size (100)"]),
        (["--lr", "-1"], ["DQNConfig.learning_rate"]),
        (["--epsilon-schedule", "cosine"], ["DQNConfig.epsilon_schedule must be one of"]),
    ],
)
def test_bad_training_input(tmp_path, capsys, args, fragments):
    out = tmp_path / "run"
    code = main(["train", "--out", str(out), *args])
    assert_clear_error(code, capsys.readouterr().err, *fragments)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_existing_run_folder_is_not_overwritten(tmp_path, capsys):
    (tmp_path / "run").mkdir()
    code = main(["train", "--out", str(tmp_path / "run")])
    assert_clear_error(code, capsys.readouterr().err, "already exists")


def test_evaluate_missing_or_corrupt_run(tmp_path, capsys):
    code = main(["evaluate", str(tmp_path / "missing")])
    assert_clear_error(code, capsys.readouterr().err, "There is no saved agent", "train")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    (broken / "model.keras").write_text("garbage")
    code = main(["evaluate", str(broken)])
    assert_clear_error(code, capsys.readouterr().err, "config.json is corrupt")


def test_wrong_flag_type_is_reported_by_argparse(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--out", "x", "--gamma", "high"])
    assert exit_info.value.code == 2
    assert "invalid float value: 'high'" in capsys.readouterr().err
