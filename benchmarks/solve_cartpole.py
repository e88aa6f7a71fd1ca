"""How fast does the default DQNConfig solve CartPole-v1? Seeds 0-9, one table.

Solved means: a greedy evaluation of 20 fixed-seed episodes averages >= 475, checked every
`eval_every` env steps, and (by default) confirmed on 100 further fixed-seed episodes, within
the step budget (50,000 by default). Prints one row per seed (solved, env steps, wall seconds,
steps/s, the last 20-episode evaluation, and the returned agent's mean on 100 fresh episodes,
seeds 20000-20099, which notebook 05 uses) and the medians.

    python benchmarks/solve_cartpole.py                 # seeds 0-9, one at a time (for timing)
    python benchmarks/solve_cartpole.py --jobs 2        # faster, but the seconds are then shared-CPU
    python benchmarks/solve_cartpole.py --set gamma=0.98 --set train_freq=8

Goal (issue 2): at least 9 of 10 seeds solved, median wall time <= 30 s on a 2-core CPU.
"""
import argparse
import ast
import concurrent.futures as cf
import multiprocessing
import os
import statistics
import sys
import time


def run_seed(seed, overrides, env_id):
    import dqn_helpers

    config = dqn_helpers.DQNConfig(**overrides)
    agent, history = dqn_helpers.train(env_id, config, seed=seed, progress=False)
    last = history.evaluations[-1]["mean"] if history.evaluations else float("nan")
    # Not part of training or its time: the returned agent on 100 episodes it never saw.
    fresh = dqn_helpers.evaluate(agent, env_id, n_episodes=100, seed=FRESH_SEED).mean
    return {
        "seed": seed, "solved": history.solved, "env_steps": history.env_steps,
        "seconds": history.wall_seconds, "steps_per_s": history.steps_per_second, "last_eval": last,
        "fresh100": fresh,
    }


FRESH_SEED = 20_000  # the seeds notebook 05 evaluates on


def parse_overrides(pairs):
    overrides = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        try:
            overrides[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            overrides[key] = value
    return overrides


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--jobs", type=int, default=1, help="processes in parallel (1 for honest timing)")
    parser.add_argument("--env", default="CartPole-v1")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="override a DQNConfig field")
    args = parser.parse_args()
    overrides = parse_overrides(args.set)

    print(f"{args.env}, DQNConfig overrides: {overrides or 'none (defaults)'}, jobs={args.jobs}, cpus={os.cpu_count()}")
    print(f"{'seed':>4} {'solved':>6} {'env_steps':>9} {'seconds':>8} {'steps/s':>8} {'last_eval':>9} {'fresh100':>8}")
    start = time.perf_counter()
    rows = []
    context = multiprocessing.get_context("spawn")  # a fresh process per seed: no shared TF state
    with cf.ProcessPoolExecutor(max_workers=args.jobs, mp_context=context, max_tasks_per_child=1) as pool:
        futures = [pool.submit(run_seed, seed, overrides, args.env) for seed in args.seeds]
        for future in futures:
            row = future.result()
            rows.append(row)
            print(f"{row['seed']:>4} {str(row['solved']):>6} {row['env_steps']:>9} {row['seconds']:>8.1f} "
                  f"{row['steps_per_s']:>8.0f} {row['last_eval']:>9.1f} {row['fresh100']:>8.1f}", flush=True)
    solved = [r for r in rows if r["solved"]]
    print(f"solved: {len(solved)}/{len(rows)}")
    print(f"fresh 100-episode evaluation >= 475: {sum(r['fresh100'] >= 475 for r in rows)}/{len(rows)}")
    print(f"median env_steps (all seeds): {statistics.median(r['env_steps'] for r in rows):.0f}")
    print(f"median seconds (all seeds): {statistics.median(r['seconds'] for r in rows):.1f}")
    print(f"median steps/s: {statistics.median(r['steps_per_s'] for r in rows):.0f}")
    print(f"total wall time: {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
