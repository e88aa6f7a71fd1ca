"""Command line: ``python -m dqn_helpers train ...`` and ``python -m dqn_helpers evaluate RUN_DIR``."""
import argparse
import dataclasses
import json
import pathlib
import shutil
import sys
import tempfile

from .config import FIELD_HELP, DQNConfig
from .errors import DQNHelpersError

# Short flag names for the most used fields; every other field gets --field-name.
ALIASES = {"learning_rate": "--lr"}


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m dqn_helpers", description="Train and evaluate DQN agents.")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train an agent and write a run folder")
    train.add_argument("--env", default="CartPole-v1", help="gymnasium env id with discrete actions (default CartPole-v1)")
    train.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    train.add_argument("--out", required=True, help="run folder to create; must not exist yet")
    train.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    for f in dataclasses.fields(DQNConfig):
        flags = ["--" + f.name.replace("_", "-")] + ([ALIASES[f.name]] if f.name in ALIASES else [])
        help_text = FIELD_HELP.get(f.name, "").replace("%", "%%") + f" (default {f.default})"
        if f.name == "hidden_sizes":
            train.add_argument(*flags, dest=f.name, type=int, nargs="+", default=None, help=help_text)
        elif isinstance(f.default, bool):  # --double / --no-double, and so on
            train.add_argument(*flags, dest=f.name, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        else:
            kind = float if f.name == "solve_threshold" else type(f.default)
            train.add_argument(*flags, dest=f.name, type=kind, default=None, help=help_text)

    evaluate = commands.add_parser("evaluate", help="reload a run folder and evaluate its agent greedily")
    evaluate.add_argument("run_dir", help="folder written by the train command")
    evaluate.add_argument("--episodes", type=int, default=100, help="evaluation episodes (default 100)")
    evaluate.add_argument("--seed", type=int, default=20_000, help="seed of the first episode (default 20000)")
    evaluate.add_argument("--gif", help="also save one episode as an animated GIF at this path")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        if args.command == "train":
            return run_train(args)
        return run_evaluate(args)
    except DQNHelpersError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; nothing was written.", file=sys.stderr)
        return 130


def run_train(args):
    from .envs import make_env
    from .persistence import save_agent
    from .plotting import plot_learning_curve
    from .training import train

    out = pathlib.Path(args.out)
    if out.exists():
        raise DQNHelpersError(f"The run folder {out} already exists; choose a new --out or delete the old one.")
    overrides = {f.name: getattr(args, f.name) for f in dataclasses.fields(DQNConfig) if getattr(args, f.name) is not None}
    config = DQNConfig(**overrides)  # invalid values fail here, before any work
    if args.seed < 0:
        raise DQNHelpersError(f"--seed must be a non-negative integer, got {args.seed}.")
    env = make_env(args.env)

    agent, history = train(env, config, seed=args.seed, progress=not args.no_progress)
    last = history.evaluations[-1] if history.evaluations else {"mean": None, "std": None}
    results = {
        "env_id": args.env,
        "seed": args.seed,
        "solved": history.solved,
        "solve_threshold": history.solve_threshold,
        "env_steps": history.env_steps,
        "gradient_steps": history.gradient_steps,
        "episodes": len(history.episode_returns),
        "wall_seconds": round(history.wall_seconds, 3),
        "steps_per_second": round(history.steps_per_second, 1),
        "eval_mean": last["mean"],
        "eval_std": last["std"],
        "evaluations": history.evaluations,
        "interrupted": history.interrupted,
    }

    # Write everything into a temporary sibling folder, then rename it: never a half-written run.
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        save_agent(agent, tmp, env_id=args.env)
        history.write_csv(tmp / "history.csv")
        (tmp / "results.json").write_text(json.dumps(results, indent=2))
        import matplotlib
        import matplotlib.pyplot

        matplotlib.use("Agg")
        ax = plot_learning_curve(history, title=f"{args.env}, seed {args.seed}")
        ax.figure.savefig(tmp / "learning_curve.png", dpi=100, bbox_inches="tight")
        matplotlib.pyplot.close(ax.figure)  # many runs in one process must not pile up figures
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    status = "solved" if history.solved else ("interrupted" if history.interrupted else "not solved")
    evaluation = f", greedy evaluation {last['mean']:.1f} ± {last['std']:.1f}" if last["mean"] is not None else ""
    print(f"{args.env} seed {args.seed}: {status} after {history.env_steps} env steps in "
          f"{history.wall_seconds:.1f} s ({history.steps_per_second:.0f} steps/s){evaluation}. Run folder: {out}")
    return 0


def run_evaluate(args):
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
