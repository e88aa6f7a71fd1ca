"""The sweep: a grid of variants x seeds trained as populations into one table, resumable, on any engine."""
import csv
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest

from dqn_helpers import DQNConfig, DQNHelpersError, evaluate, load_agent
from dqn_helpers import sweeps as sweep_module
from dqn_helpers.population import greedy_returns, train_population
from dqn_helpers.study import trial_scores
from dqn_helpers.sweeps import config_hash, sweep

BASE = dict(total_steps=1_500, learning_starts=300, hidden_sizes=[32, 32], train_freq=64, gradient_steps=16,
            target_update_interval=64, epsilon_decay_steps=1_000, eval_every=500, eval_episodes=5, confirm_episodes=0)
VARIANTS = {"vanilla": {}, "double + dueling": {"double": True, "dueling": True}}
GRID = {"variants": VARIANTS, "seeds": "0-2", "base": BASE, "final_episodes": 10}


class Killed(Exception):
    pass


def run_sweep(out, **overrides):
    kwargs = dict(variants=VARIANTS, seeds=[0, 1, 2], out=out, base=BASE, final_episodes=10, progress=False)
    return sweep(**{**kwargs, **overrides})


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "dqn_helpers", *map(str, args)], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The grid trained once in this process; other tests compare their tables with its table."""
    out = tmp_path_factory.mktemp("sweep") / "reference"
    return run_sweep(out)


def test_the_table_holds_every_evaluation_and_a_final_row_per_trial(reference):
    table = pd.read_csv(reference)
    assert list(table.columns) == sweep_module.COLUMNS
    finals = table[table["kind"] == "final"]
    assert sorted(zip(finals["variant"], finals["seed"])) == sorted((v, s) for v in VARIANTS for s in (0, 1, 2))
    evals = table[(table["kind"] == "eval") & (table["variant"] == "vanilla") & (table["seed"] == 1)]
    assert list(evals["env_steps"]) == [500, 1000, 1500]
    # Each trial folder holds an agent that reproduces its final row on the same fresh episodes.
    folder = reference.parent / "CartPole-v1" / "double_+_dueling" / "seed_2"
    agent, env_id = load_agent(folder)
    assert env_id == "CartPole-v1" and agent.config.dueling and agent.config.double
    row = finals[(finals["variant"] == "double + dueling") & (finals["seed"] == 2)].iloc[0]
    assert evaluate(agent, "CartPole-v1", 10, 20_000).mean == pytest.approx(row["mean"])
    trial = json.loads((folder / "trial.json").read_text())
    config = DQNConfig(**{**BASE, **VARIANTS["double + dueling"]})
    assert trial == {"env": "CartPole-v1", "variant": "double + dueling", "seed": 2, "config_hash": config_hash("CartPole-v1", config)}


def test_a_trial_is_its_seed_trained_alone(reference):
    """Members are independent, so the table's rows are what train_population gives that seed alone."""
    config = DQNConfig(**{**BASE, **VARIANTS["vanilla"]})
    agents, histories = train_population("CartPole-v1", config, [1], progress=False)
    table = pd.read_csv(reference)
    rows = table[(table["variant"] == "vanilla") & (table["seed"] == 1)]
    assert list(rows[rows["kind"] == "eval"]["mean"]) == [e["mean"] for e in histories[0].evaluations]
    assert rows[rows["kind"] == "final"]["mean"].iloc[0] == greedy_returns(agents, "CartPole-v1", 10, 20_000)[0].mean()


def test_greedy_returns_equal_evaluate_for_each_agent():
    config = DQNConfig(**{**BASE, "dueling": True})
    agents, _ = train_population("CartPole-v1", config, [4, 5], progress=False)
    returns = greedy_returns(agents, "CartPole-v1", 8, 123)
    for agent, row in zip(agents, returns):
        np.testing.assert_array_equal(row, evaluate(agent, "CartPole-v1", 8, 123).returns)


def test_a_resumed_sweep_trains_only_what_is_missing_and_gives_the_same_table(reference, tmp_path, monkeypatch):
    out = tmp_path / "resumed"
    calls, killed = [], []
    real = sweep_module.run_cell

    def interrupted_after_the_first_population(cell):
        calls.append((cell["variant"], list(cell["seeds"])))
        if len(calls) == 2 and not killed:
            killed.append(True)
            raise Killed  # the sweep stops while the second population trains (Ctrl-C, a kill, a crash)
        return real(cell)

    monkeypatch.setattr(sweep_module, "run_cell", interrupted_after_the_first_population)
    with pytest.raises(Killed):
        run_sweep(out)
    assert sorted(p.name for p in (out / "CartPole-v1" / "vanilla").iterdir()) == ["seed_0", "seed_1", "seed_2", "variant.json"]
    assert not (out / "CartPole-v1" / "double_+_dueling" / "seed_0").exists()
    assert not list(out.rglob(".*partial*"))  # nothing half-written
    shutil.rmtree(out / "CartPole-v1" / "vanilla" / "seed_1")  # a lost trial

    calls.clear()
    run_sweep(out)
    # The lost trial's whole population is trained again, as it was the first time; only seed 1 is written.
    assert calls == [("vanilla", [0, 1, 2]), ("double + dueling", [0, 1, 2])]
    assert (out / "results.csv").read_bytes() == reference.read_bytes()
    calls.clear()
    run_sweep(out)  # the same command again: nothing left to train
    assert calls == []


def test_populations_are_fixed_groups_of_the_grid_s_seeds(tmp_path, monkeypatch):
    """A member's last bits can depend on its population's size, so a resumed sweep rebuilds the same groups."""
    monkeypatch.setattr(sweep_module, "POPULATION_SIZE", 2)
    groups = []
    real = sweep_module.run_cell
    monkeypatch.setattr(sweep_module, "run_cell", lambda cell: groups.append(list(cell["seeds"])) or real(cell))
    out = tmp_path / "groups"
    first = run_sweep(out, variants={"vanilla": {}}).read_bytes()
    assert groups == [[0, 1], [2]]
    kept = (out / "CartPole-v1" / "vanilla" / "seed_0" / "trial.json").stat().st_mtime_ns
    shutil.rmtree(out / "CartPole-v1" / "vanilla" / "seed_1")
    groups.clear()
    assert run_sweep(out, variants={"vanilla": {}}).read_bytes() == first
    assert groups == [[0, 1]]
    assert (out / "CartPole-v1" / "vanilla" / "seed_0" / "trial.json").stat().st_mtime_ns == kept  # not rewritten


def test_two_worker_processes_give_the_same_table(reference, tmp_path):
    out = tmp_path / "two"
    (tmp_path / "grid.json").write_text(json.dumps(GRID))
    result = run_cli("sweep", tmp_path / "grid.json", "--out", out, "--workers", 2, "--no-progress")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"6 trials in {out / 'results.csv'}"
    assert (out / "results.csv").read_bytes() == reference.read_bytes()


def test_a_diverged_trial_is_recorded_and_the_others_are_unchanged(tmp_path):
    class HugeRewards(gym.RewardWrapper):
        def reward(self, reward):
            return reward * 1e38 if self.unwrapped.np_random_seed == 1 else reward

    gym.register("HugeRewardsForSeed1-v0", entry_point=lambda **kw: HugeRewards(gym.make("CartPole-v1", **kw)),
                 max_episode_steps=None)
    try:
        base = {**BASE, "max_grad_norm": float("inf"), "loss": "mse", "learning_rate": 0.5}
        table = pd.read_csv(sweep({"v": {}}, [0, 1], tmp_path / "d", envs="HugeRewardsForSeed1-v0", base=base,
                                  final_episodes=3, progress=False))
    finally:
        gym.registry.pop("HugeRewardsForSeed1-v0")
    finals = table[table["kind"] == "final"].set_index("seed")
    assert finals.loc[1, "diverged"] and np.isnan(finals.loc[1, "mean"]) and not finals.loc[0, "diverged"]
    assert not np.isnan(finals.loc[0, "mean"])


def test_trial_scores_carry_a_stopped_agent_forward_and_score_divergence_lowest():
    rows = [
        # seed 0 solved at 2,000 of 4,000 steps: its last evaluation stands for 3,000 and 4,000
        ("CartPole-v1", "v", 0, "eval", 1000, 100.0, True and False), ("CartPole-v1", "v", 0, "eval", 2000, 480.0, True),
        ("CartPole-v1", "v", 0, "final", 2000, 490.0, True),
        ("CartPole-v1", "v", 1, "eval", 1000, 50.0, False), ("CartPole-v1", "v", 1, "eval", 2000, 150.0, False),
        ("CartPole-v1", "v", 1, "eval", 3000, 250.0, False), ("CartPole-v1", "v", 1, "eval", 4000, 350.0, False),
        ("CartPole-v1", "v", 1, "final", 4000, 300.0, False),
        ("CartPole-v1", "v", 2, "final", 1500, float("nan"), False),
    ]
    table = pd.DataFrame([dict(env=e, variant=v, seed=s, kind=k, env_steps=n, mean=m, solved=x, diverged=(s == 2))
                          for e, v, s, k, n, m, x in rows])
    scores = trial_scores(table, total_steps=4_000, eval_every=1_000).set_index("seed")
    assert scores.loc[0, "auc"] == (100 + 480 + 480 + 480) / 4 and scores.loc[0, "solved_at"] == 2000
    assert scores.loc[1, "auc"] == (50 + 150 + 250 + 350) / 4 and not scores.loc[1, "solved"]
    assert scores.loc[0, "final_normalized"] == 490 / 500
    assert scores.loc[2, "final"] == 0.0 and scores.loc[2, "auc"] == 0.0 and scores.loc[2, "diverged"]


@pytest.mark.parametrize("changes, message", [
    (dict(variants={"vanilla": {"dubble": True}}), r"variant 'vanilla' on CartPole-v1: unknown DQNConfig field\(s\) \['dubble'\]"),
    (dict(variants={}), "variants must be a non-empty dict"),
    (dict(seeds=[]), "seed"),
    (dict(variants={"a b": {}, "a_b": {}}), "would share the folder"),
    (dict(envs="Pendulum-v1"), "finite list of actions"),
    (dict(variants={"vanilla": {"learning_rate": -1}}), "learning_rate"),
])
def test_bad_grids_get_one_sentence_and_write_nothing(tmp_path, changes, message):
    with pytest.raises(DQNHelpersError, match=message):
        run_sweep(tmp_path / "out", **changes)
    assert not (tmp_path / "out").exists()


def test_a_folder_holding_something_else_is_refused_untouched(reference, tmp_path):
    with pytest.raises(DQNHelpersError, match=r"holds a different sweep \(its seeds differ"):
        run_sweep(reference.parent, seeds=[0, 1])
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep")
    with pytest.raises(DQNHelpersError, match="not empty and holds no sweep.json"):
        run_sweep(other)
    assert [p.name for p in other.iterdir()] == ["mine.txt"]
    # A variant folder whose trials came from another config (another version's defaults, say).
    copy = tmp_path / "copy"
    shutil.copytree(reference.parent, copy)
    marker = copy / "CartPole-v1" / "vanilla" / "variant.json"
    marker.write_text(json.dumps({**json.loads(marker.read_text()), "config_hash": "0123456789ab"}))
    before = (copy / "results.csv").read_bytes()
    with pytest.raises(DQNHelpersError, match="holds trials of another config"):
        run_sweep(copy)
    assert (copy / "results.csv").read_bytes() == before


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_command_line_bad_input_is_one_line(tmp_path):
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps({**GRID, "variants": {"vanilla": {"dubble": True}}}))
    cases = [
        (grid, "unknown DQNConfig field(s) ['dubble']"),
        (tmp_path / "missing.json", "There is no grid file"),
    ]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"variants": {"v": {}}}))
    cases.append((bad, 'at least "variants" and "seeds"'))
    for path, expected in cases:
        result = run_cli("sweep", path, "--out", tmp_path / "out")
        assert result.returncode == 2 and expected in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    good = tmp_path / "good.json"
    good.write_text(json.dumps(GRID))
    result = run_cli("sweep", good, "--out", tmp_path / "out", "--ray", f"127.0.0.1:{free_port()}")
    # Ray is an optional extra: without it, --ray says how to install it; with it, an address
    # where no cluster listens is named.
    if importlib.util.find_spec("ray") is None:
        expected = "--ray needs Ray, which is not installed here: pip install 'dqn_helpers[ray]'."
    else:
        expected = "cannot reach a Ray cluster at 127.0.0.1:"
    assert result.returncode == 2 and expected in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_ray_cluster_gives_the_same_table(reference, tmp_path):
    """A real local Ray cluster with 2 CPUs, started like one on a cluster's head node."""
    ray_bin = os.path.join(os.path.dirname(sys.executable), "ray")
    assert os.path.exists(ray_bin), "Ray is in requirements-dev.txt: `make test` installs it"
    port = free_port()
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    start = subprocess.run([ray_bin, "start", "--head", f"--port={port}", "--num-cpus=2", "--include-dashboard=false",
                            "--disable-usage-stats"], capture_output=True, text=True, env=env, timeout=180)
    assert start.returncode == 0, start.stderr
    try:
        (tmp_path / "grid.json").write_text(json.dumps(GRID))
        out = tmp_path / "ray"
        result = subprocess.run([sys.executable, "-m", "dqn_helpers", "sweep", str(tmp_path / "grid.json"), "--out", str(out),
                                 "--ray", f"127.0.0.1:{port}"], capture_output=True, text=True, env=env, timeout=600)
        assert result.returncode == 0, result.stderr
        assert (out / "results.csv").read_bytes() == reference.read_bytes()
    finally:
        subprocess.run([ray_bin, "stop", "--force"], capture_output=True, env=env, timeout=120)
