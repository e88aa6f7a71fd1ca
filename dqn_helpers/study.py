"""Scores of a sweep's trials, ready for rliable: the final greedy return and the area under the learning curve.

``trial_scores(table, ...)`` turns a sweep table (one row per trial per evaluation, see
``dqn_helpers.sweep``) into one row per trial:

- ``final``: the mean greedy return of the trial's final agent on its fresh episodes;
- ``auc``: the area under its learning curve, as the mean of its periodic greedy evaluations at
  ``eval_every, 2 * eval_every, ..., total_steps``. A trial that stopped early because it solved
  the env keeps its agent, and a frozen agent on the same fixed-seed episodes scores the same
  again, so its last evaluation stands for the evaluation points after it (exact, not a guess);
- both also *normalized*: 0 at the env's lowest return and 1 at its highest (CartPole-v1: 0 and
  500; Acrobot-v1: -500 and 0), so that different envs share one scale;
- ``solved`` and ``solved_at`` (env steps at the solving evaluation).

A trial whose training diverged has no agent; it scores the lowest return everywhere.
``score_dict(scores, column)`` gives the ``{variant: array (runs, 1)}`` dicts that rliable's
``get_interval_estimates`` and ``create_performance_profile`` take. The course's committed study
is ``load_study()``. Introduced in `06_beyond_vanilla_dqn.ipynb`.
"""
from __future__ import annotations

import json
import pathlib
from typing import Any

import numpy as np

from .errors import DQNHelpersError

# The lowest and highest return of an episode, for normalized scores.
RETURN_RANGE = {"CartPole-v1": (0.0, 500.0), "Acrobot-v1": (-500.0, 0.0)}
STUDY_DATA = pathlib.Path(__file__).parent / "study_data"


def trial_scores(table, total_steps: int, eval_every: int, env: str | None = None):
    """One row per trial (env, variant, seed): final, auc, their normalized twins, solved, solved_at.

    ``table`` is a sweep's table as a pandas DataFrame; ``env`` keeps only that env's trials.
    """
    import pandas as pd

    if env is not None:
        table = table[table["env"] == env]
        if table.empty:
            raise DQNHelpersError(f"the table holds no trial of {env!r}.")
    points = np.arange(eval_every, total_steps + 1, eval_every)
    rows = []
    for (env_id, variant, seed), trial in table.groupby(["env", "variant", "seed"], sort=False):
        if env_id not in RETURN_RANGE:
            raise DQNHelpersError(f"no return range is known for {env_id!r}; add it to dqn_helpers.study.RETURN_RANGE.")
        low, high = RETURN_RANGE[env_id]
        final_row = trial[trial["kind"] == "final"].iloc[0]
        evals = trial[trial["kind"] == "eval"].sort_values("env_steps")
        diverged = bool(final_row["diverged"])
        if diverged:
            final, curve = low, np.full(len(points), low)
        else:
            final = float(final_row["mean"])
            if evals.empty or evals["env_steps"].iloc[0] != eval_every:
                raise DQNHelpersError(f"trial {env_id} / {variant} / seed {seed} has no evaluation at {eval_every} env steps; "
                                      "pass the total_steps and eval_every of its config.")
            curve = learning_curve(evals, points)
        solved = evals[evals["solved"].astype(bool)]
        rows.append({"env": env_id, "variant": variant, "seed": int(seed), "final": final, "auc": float(np.mean(curve)),
                     "final_normalized": (final - low) / (high - low), "auc_normalized": (float(np.mean(curve)) - low) / (high - low),
                     "solved": bool(len(solved)), "solved_at": int(solved["env_steps"].iloc[0]) if len(solved) else None,
                     "diverged": diverged})
    return pd.DataFrame(rows)


def learning_curve(evals, points) -> np.ndarray:
    """One run's greedy evaluations (its "eval" rows, sorted by env_steps) at ``points``: at each point the
    evaluation made there, or the last one before it (a run that stopped holds its last evaluation)."""
    steps, means = evals["env_steps"].to_numpy(), evals["mean"].to_numpy()
    return means[np.searchsorted(steps, points, side="right") - 1]


def score_dict(scores, column: str, variants=None) -> dict[str, np.ndarray]:
    """``{variant: scores (runs, 1)}`` of one column of ``trial_scores``, the shape rliable takes (runs x tasks)."""
    variants = list(dict.fromkeys(scores["variant"])) if variants is None else list(variants)
    return {v: scores.loc[scores["variant"] == v, column].to_numpy(dtype=float)[:, None] for v in variants}


def load_study(name: str = "cartpole") -> tuple[Any, dict[str, Any]]:
    """The course's committed study: ``(table, record)``, the sweep table as a DataFrame and what produced it.

    ``name`` is ``"cartpole_tuning"``, ``"cartpole"`` or ``"acrobot"``. The record holds the grid,
    the command, the versions and the wall time of the run that wrote the table (``study/run_study.py``).
    """
    import pandas as pd

    path = STUDY_DATA / f"{name}.csv.gz"
    if not path.is_file():
        names = sorted(p.name.removesuffix(".csv.gz") for p in STUDY_DATA.glob("*.csv.gz"))
        raise DQNHelpersError(f"there is no committed study named {name!r}; the study has {names}.")
    record = json.loads((STUDY_DATA / "study.json").read_text())
    return pd.read_csv(path), record
