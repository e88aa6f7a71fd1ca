"""Notebook 06's committed study: complete, produced by study/run_study.py's protocol, and current.

Notebook 06 re-runs a slice of it and asserts that the slice reproduces the committed rows exactly
(under nbval, in this environment); these tests check the rest without training.
"""
import pathlib
import sys

import pytest

from dqn_helpers import DQNConfig, DQNHelpersError
from dqn_helpers.study import load_study, trial_scores
from dqn_helpers.sweeps import config_hash

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "study"))
import run_study  # noqa: E402


@pytest.fixture(scope="module")
def record():
    return load_study("cartpole")[1]


def test_the_committed_grids_are_the_study_scripts(record):
    sweeps = record["sweeps"]
    assert sweeps["cartpole_tuning"]["grid"] == run_study.tuning_grid()
    assert sweeps["cartpole"]["grid"] == run_study.comparison_grid(record["tuned"])
    assert sweeps["acrobot"]["grid"] == run_study.acrobot_grid()


def test_the_tuning_choice_follows_from_the_committed_tuning_table(record):
    tuning, _ = load_study("cartpole_tuning")
    assert run_study.choose_settings(tuning) == record["tuned"]


@pytest.mark.parametrize("name", ["cartpole_tuning", "cartpole", "acrobot"])
def test_every_trial_is_there_once_with_todays_config(name, record):
    """A changed DQNConfig default changes a variant's hash: then the committed study is stale (run make study)."""
    table, _ = load_study(name)
    grid = record["sweeps"][name]["grid"]
    from dqn_helpers.cli import seed_range

    seeds = seed_range(grid["seeds"])
    (env,) = grid["envs"]
    finals = table[table["kind"] == "final"]
    assert sorted(zip(finals["variant"], finals["seed"])) == sorted((v, s) for v in grid["variants"] for s in seeds)
    for variant, changes in grid["variants"].items():
        expected = config_hash(env, DQNConfig.from_dict({**grid["base"], **grid["envs"][env], **changes}))
        assert set(table.loc[table["variant"] == variant, "config_hash"]) == {expected}, variant
    base = grid["base"]
    scores = trial_scores(table, base["total_steps"], base.get("eval_every", DQNConfig().eval_every))
    assert len(scores) == len(finals) and scores["auc_normalized"].between(0, 1).all()


def test_an_unknown_study_name_is_one_sentence():
    with pytest.raises(DQNHelpersError, match=r"no committed study named 'cartpol'; the study has \['acrobot', 'cartpole', 'cartpole_tuning'\]"):
        load_study("cartpol")
