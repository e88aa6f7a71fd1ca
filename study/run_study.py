"""Notebook 06's study, with one command: ``make study`` (or ``python study/run_study.py --workers 2``).

Three sweeps (``python -m dqn_helpers sweep``), each resumable, into ``study/runs/``:

1. ``cartpole_tuning``: every CartPole variant at three learning rates (the no-target-network
   ablation at eight settings, see EXTRA_CANDIDATES), on the tuning seeds 100-109;
2. ``cartpole``: every variant on the comparison seeds 20-39, at vanilla's settings and, where
   the tuning chose others, at its own best settings (highest IQM of the normalized area under
   the learning curve on the tuning seeds);
3. ``acrobot``: vanilla, Double, Dueling and both on Acrobot-v1, seeds 20-39, at one shared config.

Then it writes the three tables, gzipped, and ``study.json`` (grids, tuning choices, command,
versions, wall times) into ``dqn_helpers/study_data/``, where notebook 06 reads them. ``--ray
ADDRESS`` runs the populations on a Ray cluster instead (see README).
"""
from __future__ import annotations

import argparse
import gzip
import json
import pathlib
import shutil
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dqn_helpers.study import STUDY_DATA, trial_scores  # noqa: E402
from dqn_helpers.sweeps import machine, sweep, sweep_table, versions  # noqa: E402

# The study's vanilla: the small network that trains fast as a population (benchmarks/population.py),
# tuned for vanilla DQN on seeds 0-19; everything else is DQNConfig's default (256 env steps, then
# 128 gradient steps, then a target copy; a greedy evaluation on 20 fixed episodes every 1,000
# steps, stopping once 100 more episodes confirm a mean of 475).
CARTPOLE_BASE = {"hidden_sizes": [48, 48], "learning_rate": 4e-3, "epsilon_decay_steps": 4_000, "total_steps": 50_000}
CARTPOLE_VARIANTS = {
    "vanilla": {},
    "double": {"double": True},
    "dueling": {"dueling": True},
    "double + dueling": {"double": True, "dueling": True},
    "no target network": {"target_network": False},
    "no replay": {"buffer_size": 1, "batch_size": 1, "learning_starts": 1, "train_freq": 1, "gradient_steps": 1},
    "MSE loss": {"loss": "mse"},
    "truncation as termination": {"truncation_as_termination": True},
}
LEARNING_RATES = [2e-3, 4e-3, 8e-3]
# Without a target network the TD target moves with every gradient step, so this ablation also
# gets two lower learning rates and, at three rates, the classic snippet's pattern of small
# frequent updates (2 gradient steps every 4 env steps: the same ratio, no bursts of 128).
EXTRA_CANDIDATES = {"no target network": [{"learning_rate": r} for r in (5e-4, 1e-3)]
                    + [{"learning_rate": r, "train_freq": 4, "gradient_steps": 2} for r in (5e-4, 1e-3, 2e-3)]}
# Each run's final agent is scored on 100 fresh episodes, seeds 20000-20099 (notebook 05's).
FINAL = {"final_episodes": 100, "final_seed": 20_000}
TUNING_SEEDS = "100-109"
SEEDS = "20-39"
# Acrobot's settings: the Zoo's learning rate and longer exploration (notebook 06's earlier runs),
# with the study's 48-48 network; checked on vanilla's seeds 100-104 before the study (5 of 5 solved),
# and not tuned per variant.
ACROBOT_BASE = {"hidden_sizes": [48, 48], "learning_rate": 6.3e-4, "epsilon_end": 0.1, "epsilon_decay_steps": 12_000,
                "total_steps": 40_000, "eval_every": 2_000}
ACROBOT_VARIANTS = {name: CARTPOLE_VARIANTS[name] for name in ("vanilla", "double", "dueling", "double + dueling")}


def candidate_name(variant: str, candidate: dict) -> str:
    """``double, lr 0.008``; ``no target network, lr 0.001, train_freq 4, gradient_steps 2``."""
    return ", ".join([variant, f"lr {candidate['learning_rate']:g}"] + [f"{k} {v}" for k, v in candidate.items() if k != "learning_rate"])


def candidates(variant: str) -> list[dict]:
    """The settings a variant's tuning tries: three learning rates (and EXTRA_CANDIDATES)."""
    return [{"learning_rate": r} for r in LEARNING_RATES] + EXTRA_CANDIDATES.get(variant, [])


def tuning_grid():
    variants = {}
    for name, changes in CARTPOLE_VARIANTS.items():
        for candidate in candidates(name):
            variants[candidate_name(name, candidate)] = {**changes, **candidate}
    return {"variants": variants, "seeds": TUNING_SEEDS, "envs": {"CartPole-v1": {}}, "base": CARTPOLE_BASE, **FINAL}


def choose_settings(table):
    """Each variant's candidate with the highest IQM of the normalized AUC on the tuning seeds (ties: vanilla's settings)."""
    from rliable import metrics

    scores = trial_scores(table, CARTPOLE_BASE["total_steps"], 1_000)
    chosen = {}
    for name in CARTPOLE_VARIANTS:
        iqm = {candidate_name(name, c): float(metrics.aggregate_iqm(
            scores.loc[scores["variant"] == candidate_name(name, c), "auc_normalized"].to_numpy()[:, None])) for c in candidates(name)}
        best = max(candidates(name), key=lambda c: (round(iqm[candidate_name(name, c)], 6), c == {"learning_rate": CARTPOLE_BASE["learning_rate"]}))
        chosen[name] = {"settings": best, "tuning_iqm_auc": {k: round(v, 4) for k, v in iqm.items()}}
    return chosen


def comparison_grid(chosen):
    variants = dict(CARTPOLE_VARIANTS)  # every variant at vanilla's settings, then the tuned ones that differ
    for name, changes in CARTPOLE_VARIANTS.items():
        best = chosen[name]["settings"]
        if best != {"learning_rate": CARTPOLE_BASE["learning_rate"]}:
            variants[candidate_name(name, best)] = {**changes, **best}
    return {"variants": variants, "seeds": SEEDS, "envs": {"CartPole-v1": {}}, "base": CARTPOLE_BASE, **FINAL}


def acrobot_grid():
    return {"variants": ACROBOT_VARIANTS, "seeds": SEEDS, "envs": {"Acrobot-v1": {}}, "base": ACROBOT_BASE, **FINAL}


def run(name, grid, args, record):
    from dqn_helpers.cli import seed_range

    out = args.out / name
    print(f"== {name}: {len(grid['variants'])} variants x seeds {grid['seeds']} -> {out}", flush=True)
    start = time.perf_counter()
    sweep(grid["variants"], seed_range(grid["seeds"]), out, envs=grid["envs"], base=grid["base"],
          final_episodes=grid["final_episodes"], final_seed=grid["final_seed"], workers=args.workers, ray_address=args.ray)
    seconds = time.perf_counter() - start
    table = sweep_table(out)
    record["sweeps"][name] = {"grid": grid, "wall_seconds": round(seconds, 1), "trials": int((table["kind"] == "final").sum())}
    return table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "study" / "runs", help="where the sweeps write (default study/runs)")
    parser.add_argument("--workers", type=int, default=2, help="populations trained at once on this machine (default 2)")
    parser.add_argument("--ray", metavar="ADDRESS", help="run the populations on the Ray cluster at ADDRESS")
    parser.add_argument("--data", type=pathlib.Path, default=STUDY_DATA, help="where to write the tables (default dqn_helpers/study_data)")
    args = parser.parse_args(argv)
    command = "python study/run_study.py" + "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    record = {"command": command, "versions": versions(), "machine": machine(), "cpus": __import__("os").cpu_count(), "sweeps": {}}
    start = time.perf_counter()
    tuning = run("cartpole_tuning", tuning_grid(), args, record)
    chosen = choose_settings(tuning)
    record["tuned"] = chosen
    for name, choice in chosen.items():
        print(f"  {name}: {choice['settings']} (IQM of the normalized AUC: {choice['tuning_iqm_auc']})")
    tables = {"cartpole_tuning": tuning, "cartpole": run("cartpole", comparison_grid(chosen), args, record),
              "acrobot": run("acrobot", acrobot_grid(), args, record)}
    record["wall_seconds"] = round(time.perf_counter() - start, 1)
    args.data.mkdir(parents=True, exist_ok=True)
    for name in tables:  # the sweeps' own tables, byte for byte; mtime 0: the same .gz every time
        with open(args.out / name / "results.csv", "rb") as source, gzip.GzipFile(args.data / f"{name}.csv.gz", "wb", mtime=0) as target:
            shutil.copyfileobj(source, target)
    (args.data / "study.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"study written to {args.data} in {record['wall_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
