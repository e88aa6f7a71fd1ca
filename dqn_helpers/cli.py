"""Command line: ``python -m dqn_helpers train ...`` (one seed, or ``--seeds 0-19`` as a population), ``python -m dqn_helpers sweep GRID.json --out DIR`` and ``python -m dqn_helpers evaluate RUN_DIR``."""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import pathlib
import shutil
import statistics
import sys
import tempfile
import typing

from .config import FIELD_HELP, LOSSES, DQNConfig
from .errors import DQNHelpersError
from .schedules import SCHEDULES

# Short flag names for the most used fields; every other field gets --field-name.
ALIASES = {"learning_rate": "--lr"}


def _number_or_none(text: str) -> float | None:
    """``--solve-threshold none`` means the env's own threshold; anything else is a number."""
    if text.strip().lower() == "none":
        return None
    return float(text)


_number_or_none.__name__ = "number or 'none'"  # argparse names the type in its error message
CHOICES = {"loss": list(LOSSES), "epsilon_schedule": sorted(SCHEDULES)}


def seed_range(text: str) -> list[int]:
    """``0-19`` or ``0,3,5-7`` -> a list of seeds."""
    seeds = []
    for part in text.split(","):
        first, dash, last = part.strip().partition("-")
        if not first.isdigit() or (dash and not last.isdigit()) or (dash and int(last) < int(first)):
            raise argparse.ArgumentTypeError(f"{text!r} is not a list of seeds such as 0-19 or 0,3,5-7")
        seeds.extend(range(int(first), int(last if dash else first) + 1))
    return seeds


seed_range.__name__ = "seeds"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dqn_helpers", description="Train and evaluate DQN agents.")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train an agent and write a run folder")
    train.add_argument("--env", default="CartPole-v1", help="gymnasium env id with discrete actions (default CartPole-v1)")
    seeds = train.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    seeds.add_argument("--seeds", type=seed_range, help="several seeds, such as 0-19 or 0,3,5-7: trained together as one "
                       "population (train_population); --out then holds one run folder per seed and summary.csv")
    train.add_argument("--out", required=True, help="run folder to create; must not exist yet")
    train.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    # Each field's flag takes its type from the field's annotation (not from its default,
    # which is None for solve_threshold).
    hints = typing.get_type_hints(DQNConfig)
    for f in dataclasses.fields(DQNConfig):
        flags = ["--" + f.name.replace("_", "-")] + ([ALIASES[f.name]] if f.name in ALIASES else [])
        help_text = FIELD_HELP.get(f.name, "").replace("%", "%%") + f" (default {f.default})"
        hint = hints[f.name]
        if typing.get_origin(hint) is tuple:  # hidden_sizes: --hidden-sizes 64 64
            train.add_argument(*flags, dest=f.name, type=int, nargs="+", default=None, help=help_text)
        elif hint is bool:  # --double / --no-double, and so on
            train.add_argument(*flags, dest=f.name, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        elif hint in (int, float, str):
            # Choices are shown, and checked by DQNConfig, whose sentence names the field.
            metavar = "{" + ",".join(CHOICES[f.name]) + "}" if f.name in CHOICES else None
            train.add_argument(*flags, dest=f.name, type=hint, metavar=metavar, default=None, help=help_text)
        elif set(typing.get_args(hint)) == {float, type(None)}:  # solve_threshold: a number, or none
            train.add_argument(*flags, dest=f.name, type=_number_or_none, default=argparse.SUPPRESS, help=help_text)
        else:
            raise TypeError(f"DQNConfig.{f.name} has a type the command line cannot read: {hint}")

    sweep = commands.add_parser("sweep", help="train a grid of variants x seeds (x envs) and write one table, resumably")
    sweep.add_argument("grid", help="JSON grid file: {\"variants\": {name: {field: value}}, \"seeds\": \"0-19\", "
                       "\"envs\": {env id: {field: value}}, \"base\": {field: value}} (envs and base optional)")
    sweep.add_argument("--out", required=True, help="sweep folder: created, or resumed if it holds this same sweep")
    sweep.add_argument("--seeds", type=seed_range, help="seeds such as 0-19 or 0,3,5-7, instead of the grid file's")
    sweep.add_argument("--workers", type=int, default=1, help="populations trained at once, each in its own process "
                       "(default 1: in this process); also bounded by free memory, about 1 GB each")
    sweep.add_argument("--ray", metavar="ADDRESS", help="send each population as a task to the Ray cluster at ADDRESS "
                       "(host:port, ray://host:port or auto); needs pip install 'dqn_helpers[ray]'")
    sweep.add_argument("--no-progress", action="store_true", help="print nothing but the last line")

    evaluate = commands.add_parser("evaluate", help="reload a run folder and evaluate its agent greedily")
    evaluate.add_argument("run_dir", help="folder written by the train command")
    evaluate.add_argument("--episodes", type=int, default=100, help="evaluation episodes (default 100)")
    evaluate.add_argument("--seed", type=int, default=20_000, help="seed of the first episode (default 20000)")
    evaluate.add_argument("--gif", help="also save one episode as an animated GIF at this path")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # a malformed flag: argparse's one-line error, exit 2
    try:
        if args.command == "train":
            return run_train(args)
        if args.command == "sweep":
            return run_sweep(args)
        return run_evaluate(args)
    except DQNHelpersError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a folder that cannot be written, a full disk
        where = f" {exc.filename}" if exc.filename else ""
        print(f"error: cannot write or read{where}: {exc.strerror or exc}.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if args.command == "sweep":
            print(f"error: interrupted; the finished trials are kept in {args.out}: run the same command again to "
                  "train only the missing ones.", file=sys.stderr)
        else:
            print("error: interrupted; nothing was written.", file=sys.stderr)
        return 130


def run_train(args: argparse.Namespace) -> int:
    from .envs import make_env
    from .training import train

    out = pathlib.Path(args.out)
    if out.exists():
        raise DQNHelpersError(f"The run folder {out} already exists; choose a new --out or delete the old one.")
    # A flag left out is None (solve_threshold: absent, since "none" is a value it can be given).
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(DQNConfig) if hasattr(args, f.name)}
    overrides = {name: value for name, value in given.items() if value is not None or name == "solve_threshold"}
    config = DQNConfig(**overrides)  # invalid values fail here, before any work
    if args.seeds is not None:
        return run_train_population(args, config, out)
    if args.seed < 0:
        raise DQNHelpersError(f"--seed must be a non-negative integer, got {args.seed}.")
    env = make_env(args.env)

    agent, history = train(env, config, seed=args.seed, progress=not args.no_progress)
    # Write everything into a temporary sibling folder, then rename it: never a half-written run.
    with _folder_written_whole(out) as tmp:
        results, final = _write_run(tmp, agent, history, args.env, config)
    print(f"{args.env} seed {args.seed}: {_status(history)} after {history.env_steps} env steps in "
          f"{history.wall_seconds:.1f} s ({history.steps_per_second:.0f} steps/s); final greedy return "
          f"{final.mean:.1f} ± {final.std:.1f} over {config.eval_episodes} episodes. Run folder: {out}")
    return 0


def run_train_population(args: argparse.Namespace, config: DQNConfig, out: pathlib.Path) -> int:
    import csv

    from .envs import make_env
    from .population import checked_seeds, train_population

    seeds = checked_seeds(args.seeds)
    make_env(args.env).close()  # an unknown env fails here, before any work
    agents, histories = train_population(args.env, config, seeds, progress=not args.no_progress)
    with _folder_written_whole(out) as tmp:
        rows = []
        for agent, history in zip(agents, histories):
            results, _ = _write_run(tmp / f"seed_{history.seed}", agent, history, args.env, config)
            rows.append({key: results[key] for key in SUMMARY_COLUMNS})
        with open(tmp / "summary.csv", "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=SUMMARY_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
    solved = [h.solved_at for h in histories if h.solved]
    median = f"; median steps to solve {statistics.median(solved):,.0f}" if solved else ""
    wall = max(h.wall_seconds for h in histories)
    print(f"{args.env} seeds {args.seeds[0]}-{args.seeds[-1]} ({len(seeds)} agents in one population): {len(solved)} solved"
          f"{median}; {wall:.1f} s in all. Run folders and summary.csv: {out}")
    return 0


SUMMARY_COLUMNS = ["seed", "solved", "env_steps", "gradient_steps", "episodes", "wall_seconds", "eval_mean", "eval_std", "interrupted"]


def _status(history) -> str:
    return "solved" if history.solved else ("interrupted" if history.interrupted else "not solved")


@contextlib.contextmanager
def _folder_written_whole(out: pathlib.Path):
    """A temporary sibling of ``out`` to write into, renamed to ``out`` only if everything was written."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        yield tmp
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _write_run(folder: pathlib.Path, agent, history, env_id: str, config: DQNConfig):
    """One run folder: model.keras, config.json, history.csv, results.json, learning_curve.png."""
    from .evaluation import evaluate
    from .persistence import save_agent
    from .plotting import plot_learning_curve

    # The agent the run folder holds, on the evaluation episodes train uses (the last periodic
    # evaluation may be thousands of steps old, or missing with --eval-every 0).
    final = evaluate(agent, env_id, n_episodes=config.eval_episodes, seed=config.eval_seed)
    results = {
        "env_id": env_id,
        "seed": history.seed,
        "solved": history.solved,
        "solve_threshold": history.solve_threshold,
        "env_steps": history.env_steps,
        "gradient_steps": history.gradient_steps,
        "episodes": len(history.episode_returns),
        "wall_seconds": round(history.wall_seconds, 3),
        "steps_per_second": round(history.steps_per_second, 1),
        "eval_mean": final.mean,
        "eval_std": final.std,
        "eval_episodes": config.eval_episodes,
        "evaluations": history.evaluations,
        "interrupted": history.interrupted,
    }
    folder.mkdir(exist_ok=True)
    save_agent(agent, folder, env_id=env_id)
    history.write_csv(folder / "history.csv")
    (folder / "results.json").write_text(json.dumps(results, indent=2))
    import matplotlib
    import matplotlib.pyplot

    matplotlib.use("Agg")
    ax = plot_learning_curve(history, title=f"{env_id}, seed {history.seed}")
    ax.figure.savefig(folder / "learning_curve.png", dpi=100, bbox_inches="tight")
    matplotlib.pyplot.close(ax.figure)  # many runs in one process must not pile up figures
    return results, final


def run_sweep(args: argparse.Namespace) -> int:
    from .sweeps import load_grid, sweep

    grid = load_grid(args.grid)
    if args.seeds is not None:
        grid["seeds"] = args.seeds
    table = sweep(out=args.out, workers=args.workers, ray_address=args.ray, progress=not args.no_progress, **grid)
    import csv

    with open(table, newline="") as handle:
        trials = sum(row["kind"] == "final" for row in csv.DictReader(handle))
    print(f"{trials} trials in {table}")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from .evaluation import evaluate
    from .persistence import load_agent

    if args.episodes < 1:
        raise DQNHelpersError(f"--episodes must be at least 1, got {args.episodes}.")
    agent, env_id = load_agent(args.run_dir)
    if not env_id:
        raise DQNHelpersError(f"{args.run_dir}/config.json names no env_id; it was not written by the train command.")
    result = evaluate(agent, env_id, n_episodes=args.episodes, seed=args.seed)
    print(f"{env_id}: greedy return {result.mean:.1f} ± {result.std:.1f} over {args.episodes} episodes "
          f"(seeds {args.seed}-{args.seed + args.episodes - 1}), min {result.returns.min():g}, max {result.returns.max():g}")
    if args.gif:
        from .plotting import render_episode, save_gif

        gif = pathlib.Path(args.gif)
        if not gif.parent.is_dir():
            raise DQNHelpersError(f"Cannot write {gif}: the folder {gif.parent} does not exist.")
        save_gif(render_episode(agent, env_id, seed=args.seed, every=2), gif)
        print(f"Saved one episode to {gif}")
    return 0
