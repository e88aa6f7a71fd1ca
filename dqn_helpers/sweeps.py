"""Sweeps: a grid of variants (config changes) x seeds (x envs), trained as populations, one table out.

``sweep(variants, seeds, out)`` trains every (env, variant, seed) *trial* that ``out`` does not
hold yet, and writes

- one folder per trial, ``out/<env>/<variant>/seed_<n>/``: ``model.keras`` and ``config.json``
  (the agent, as ``save_agent`` writes it), ``history.csv``, ``results.json`` and ``trial.json``
  (env, variant, seed and the config's hash, the trial's identity);
- ``out/results.csv``, one tidy table: one row per trial per evaluation (``kind`` "eval": the
  periodic greedy evaluations of training, on ``eval_episodes`` fixed-seed episodes) plus one row
  per trial for its final agent (``kind`` "final": ``final_episodes`` fresh episodes from seed
  ``final_seed``), which pandas and rliable read directly;
- ``out/sweep.json``, the grid and the versions that ran it.

The seeds of one (env, variant) are trained together with ``train_population``, in fixed groups
of at most ``POPULATION_SIZE`` seeds in the grid's order. Its members share no data, but a
member's last bits can depend on its population's size (XLA picks its kernels by the size of
the stack), so the groups never change: a trial's result does not depend on the engine, the
worker, or whether the sweep was interrupted. That is what makes a sweep resumable. A Ctrl-C or a
killed process loses only the populations in flight; running the same sweep again retrains only
the groups with a missing trial, and writes only the missing trials. Each trial folder is written
whole or not at all, and a variant folder records the hash of its config, so results from a
changed config are never mixed in.

Engines: ``workers=1`` trains in this process, ``workers=N`` in N processes of this machine (each
loads its own TensorFlow, about 0.8 GB, so N is also bounded by the free memory), and
``ray_address=...`` sends each population as a task to a Ray cluster (``pip install
'dqn_helpers[ray]'``; the driver writes every file, so the cluster's machines need the package but
no shared disk). Introduced in `06_beyond_vanilla_dqn.ipynb`.
"""
from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import pathlib
import re
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from typing import Any

from .config import DQNConfig
from .errors import DQNHelpersError

TABLE = "results.csv"
COLUMNS = ["env", "variant", "seed", "kind", "env_steps", "mean", "std", "episodes", "solved", "diverged", "config_hash"]
POPULATION_SIZE = 20  # seeds trained together at most: 20 small networks fit in 1 GB
WORKER_MEMORY = 1.0e9  # bytes a worker process may need (TensorFlow, XLA, 20 buffers)


def config_hash(env_id: str, config: DQNConfig) -> str:
    """A trial's config identity: 12 hex digits of the SHA-256 of the env id and every config field."""
    text = json.dumps({"env": env_id, "config": config.to_dict()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def sweep(variants: Mapping[str, Mapping[str, Any]], seeds: Iterable[int], out: str | os.PathLike,
          envs: str | Iterable[str] | Mapping[str, Mapping[str, Any]] = "CartPole-v1",
          base: Mapping[str, Any] | None = None, workers: int = 1, ray_address: str | None = None,
          final_episodes: int = 100, final_seed: int = 20_000, progress: bool = True) -> pathlib.Path:
    """Train every trial of the grid that ``out`` lacks; returns the path of ``out/results.csv``.

    ``variants`` maps a name to config changes (``{"vanilla": {}, "double": {"double": True}}``);
    a trial's config is ``DQNConfig(**base, **env_changes, **variant_changes)``, where ``envs`` is
    an env id, a list of ids, or a dict from env id to changes for that env. See the module's
    docstring for the files, the engines and resuming. Bad input (an unknown config field, an
    empty grid, an output folder holding another sweep, an unreachable Ray address) raises
    ``DQNHelpersError`` with one sentence, before anything is trained or written.
    """
    plan = _plan(variants, seeds, envs, base, final_episodes, final_seed)
    out = pathlib.Path(out)
    _claim(out, plan, check_only=True)
    # The engine before the folder: an unreachable cluster writes nothing.
    engine = _RayEngine(ray_address) if ray_address is not None else _LocalEngine(_checked_workers(workers, progress))
    try:
        _claim(out, plan)
    except BaseException:
        engine.close()
        raise
    todo = list(_cells(plan))
    missing = sum(len(c["write"]) for c in todo)
    done_before = len(plan["grid"]["seeds"]) * len(plan["configs"]) - missing
    if done_before and progress:
        print(f"{out}: {done_before} trial(s) already done, {missing} to train.")
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(engine.close)
        start = time.perf_counter()
        for n, (cell, payloads) in enumerate(engine.run(todo), start=1):
            for payload in payloads:
                if payload["seed"] in cell["write"]:
                    _write_trial(out, cell, payload)
            _write_table(out, plan)
            if progress:
                solved = sum(p["diverged_at"] is None and p["history"]["solved"] for p in payloads)
                rewritten = "" if cell["write"] == cell["seeds"] else f" (written: {_seed_text(cell['write'])})"
                print(f"[{n}/{len(todo)}] {cell['env']} / {cell['variant']}: seeds {_seed_text(cell['seeds'])} done{rewritten}, "
                      f"{solved}/{len(payloads)} solved ({time.perf_counter() - start:.0f} s so far)", flush=True)
    return _write_table(out, plan)


def sweep_table(out: str | os.PathLike):
    """``out/results.csv`` as a pandas DataFrame (pandas is needed only here)."""
    import pandas as pd

    path = pathlib.Path(out) / TABLE
    if not path.is_file():
        raise DQNHelpersError(f"{path} does not exist; run the sweep first (python -m dqn_helpers sweep ...).")
    return pd.read_csv(path)


def load_grid(path: str | os.PathLike) -> dict[str, Any]:
    """A sweep grid from a JSON file: ``{"variants": {...}, "seeds": "0-19" or [...], "envs": ..., "base": {...}}``."""
    path = pathlib.Path(path)
    try:
        grid = json.loads(path.read_text())
    except FileNotFoundError:
        raise DQNHelpersError(f"There is no grid file at {path}.") from None
    except (OSError, ValueError) as exc:
        raise DQNHelpersError(f"{path} is not a JSON grid file ({exc}).") from None
    if not isinstance(grid, dict) or "variants" not in grid or "seeds" not in grid:
        raise DQNHelpersError(f"{path} must hold a JSON object with at least \"variants\" and \"seeds\".")
    unknown = sorted(set(grid) - {"variants", "seeds", "envs", "base", "final_episodes", "final_seed"})
    if unknown:
        raise DQNHelpersError(f"{path} has unknown key(s) {unknown}; a grid has variants, seeds, envs, base, final_episodes, final_seed.")
    if isinstance(grid["seeds"], str):
        from .cli import seed_range

        try:
            grid["seeds"] = seed_range(grid["seeds"])
        except Exception as exc:  # argparse's error type, with its own sentence
            raise DQNHelpersError(f"{path}: {exc}.") from None
    return grid


# --- the plan: every trial of the grid, checked before any work ---

def _plan(variants, seeds, envs, base, final_episodes, final_seed):
    from .envs import make_env
    from .population import checked_seeds

    if not isinstance(variants, Mapping) or not variants:
        raise DQNHelpersError("variants must be a non-empty dict from a variant name to its config changes, such as {'vanilla': {}}.")
    seeds = checked_seeds(seeds)
    if isinstance(envs, str):
        envs = {envs: {}}
    elif not isinstance(envs, Mapping):
        envs = {env: {} for env in envs}
    if not envs:
        raise DQNHelpersError("envs must name at least one env, such as 'CartPole-v1'.")
    base = dict(base or {})
    for name, value in (("final_episodes", final_episodes), ("final_seed", final_seed)):
        if not isinstance(value, int) or isinstance(value, bool) or value < (1 if name == "final_episodes" else 0):
            raise DQNHelpersError(f"{name} must be a {'positive' if name == 'final_episodes' else 'non-negative'} integer, got {value!r}.")
    configs, hashes, folders = {}, {}, {}
    for env_id, env_changes in envs.items():
        if not isinstance(env_id, str):
            raise DQNHelpersError(f"an env must be an env id such as 'CartPole-v1', got {env_id!r}.")
        make_env(env_id).close()  # an unknown env or one without discrete actions fails here
        for variant, changes in variants.items():
            if not isinstance(variant, str) or not variant.strip():
                raise DQNHelpersError(f"a variant name must be a non-empty string, got {variant!r}.")
            if not isinstance(changes, Mapping):
                raise DQNHelpersError(f"variant {variant!r} must map config fields to values, got {changes!r}.")
            fields = {**base, **dict(env_changes or {}), **changes}
            try:
                config = DQNConfig.from_dict(fields)
            except DQNHelpersError as exc:
                raise DQNHelpersError(f"variant {variant!r} on {env_id}: {exc}") from None
            configs[env_id, variant] = config
            hashes[env_id, variant] = config_hash(env_id, config)
    for variant in variants:
        slug = variant_folder(variant)
        if slug in folders.values():
            other = next(v for v, s in folders.items() if s == slug)
            raise DQNHelpersError(f"variants {other!r} and {variant!r} would share the folder {slug!r}; rename one.")
        folders[variant] = slug
    grid = {"variants": {v: dict(c) for v, c in variants.items()}, "seeds": seeds,
            "envs": {e: dict(c or {}) for e, c in envs.items()}, "base": base,
            "final_episodes": final_episodes, "final_seed": final_seed}
    try:
        grid = json.loads(json.dumps(grid))  # as sweep.json will hold it (tuples become lists)
    except (TypeError, ValueError) as exc:
        raise DQNHelpersError(f"the grid must hold plain values (numbers, strings, lists): {exc}.") from None
    return {"grid": grid, "configs": configs, "hashes": hashes, "folders": folders,
            "seeds_by_cell": {key: list(seeds) for key in configs}}


def variant_folder(variant: str) -> str:
    """The folder name of a variant's trials under ``out/<env>/``: ``"double + dueling"`` -> ``"double_+_dueling"``."""
    return re.sub(r"[^A-Za-z0-9._+-]+", "_", variant.strip())


def _claim(out, plan, check_only=False):
    """Make ``out`` this sweep's folder, or refuse one that holds something else (writing nothing)."""
    record = out / "sweep.json"
    if out.exists():
        if not out.is_dir():
            raise DQNHelpersError(f"{out} is a file, not a sweep folder; choose another output folder.")
        if not record.is_file():
            if any(out.iterdir()):
                raise DQNHelpersError(f"{out} is not empty and holds no sweep.json; choose a new output folder for the sweep.")
        else:
            try:
                old = json.loads(record.read_text())["grid"]
            except (ValueError, KeyError, TypeError):
                raise DQNHelpersError(f"{record} is corrupt; choose a new output folder or delete that one.") from None
            if old != plan["grid"]:
                differ = [key for key in plan["grid"] if old.get(key) != plan["grid"][key]]
                raise DQNHelpersError(f"{out} holds a different sweep (its {', '.join(differ)} differ from this one's); "
                                      "run that sweep's own command to resume it, or choose a new output folder.")
    for (env_id, variant), digest in plan["hashes"].items():  # a variant folder written by another config
        marker = out / env_id / plan["folders"][variant] / "variant.json"
        if marker.is_file():
            recorded = json.loads(marker.read_text()).get("config_hash")
            if recorded != digest:
                raise DQNHelpersError(f"{marker.parent} holds trials of another config (hash {recorded}, now {digest}), "
                                      "for example from another version of dqn_helpers; choose a new output folder.")
    if check_only:
        return
    out.mkdir(parents=True, exist_ok=True)
    if not record.is_file():
        _write_text(record, json.dumps({"grid": plan["grid"], "versions": versions()}, indent=2))
    for (env_id, variant), config in plan["configs"].items():
        folder = out / env_id / plan["folders"][variant]
        folder.mkdir(parents=True, exist_ok=True)
        marker = folder / "variant.json"
        if not marker.is_file():
            _write_text(marker, json.dumps({"env": env_id, "variant": variant, "config_hash": plan["hashes"][env_id, variant],
                                            "config": config.to_dict()}, indent=2))
        plan["seeds_by_cell"][env_id, variant] = [
            seed for seed in plan["grid"]["seeds"] if not (folder / f"seed_{seed}" / "trial.json").is_file()]


def _cells(plan):
    """Populations to train: each (env, variant)'s seeds, in grid order, in fixed groups of POPULATION_SIZE.

    The groups never change, so a resumed sweep retrains a group with a missing trial exactly as
    the first attempt trained it (a member's last bits can depend on its population's size, see
    ``population``), and writes only the missing trials.
    """
    grid = plan["grid"]
    for (env_id, variant), missing in plan["seeds_by_cell"].items():
        seeds = grid["seeds"]
        for i in range(0, len(seeds), POPULATION_SIZE):
            group = seeds[i:i + POPULATION_SIZE]
            write = [seed for seed in group if seed in missing]
            if write:
                yield {"env": env_id, "variant": variant, "config": plan["configs"][env_id, variant].to_dict(),
                       "config_hash": plan["hashes"][env_id, variant], "folder": plan["folders"][variant],
                       "seeds": group, "write": write,
                       "final_episodes": grid["final_episodes"], "final_seed": grid["final_seed"]}


def versions() -> dict[str, str]:
    """The versions of Python and of the packages that decide a run's numbers, as a sweep records them."""
    import importlib.metadata as md

    versions = {"python": sys.version.split()[0]}
    for name in ("dqn_helpers", "tensorflow", "tensorflow-cpu", "keras", "numpy", "gymnasium"):
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            pass
    return versions


def machine() -> dict[str, str]:
    """The CPU a sweep ran on: its model and a hash of its instruction-set flags.

    XLA compiles for the CPU it runs on, so the last bits of a run can depend on the CPU as well as
    on the package versions: results are reproducible on the same versions and the same kind of CPU.
    """
    import platform

    info = {"machine": platform.machine(), "processor": platform.processor() or "unknown", "cpu_flags": "unknown"}
    try:
        with open("/proc/cpuinfo") as handle:
            lines = handle.read().splitlines()
        fields = dict(line.split(":", 1) for line in lines if ":" in line)  # the first CPU's, then overwritten by equal ones
        fields = {k.strip(): v.strip() for k, v in fields.items()}
        info["processor"] = fields.get("model name", info["processor"])
        flags = " ".join(sorted(fields.get("flags", "").split()))
        info["cpu_flags"] = hashlib.sha256(flags.encode()).hexdigest()[:12] if flags else "unknown"
    except OSError:
        pass
    return info


# --- one population: runs in this process, a worker process or a Ray task ---

def run_cell(cell: dict[str, Any]) -> list[dict[str, Any]]:
    """Train one cell's seeds as a population; returns one plain payload (lists and arrays) per seed.

    A member whose training diverges (``TrainingDivergedError``) becomes a trial of its own with
    ``diverged_at`` set and no agent; the others are trained again without it (the same steps,
    so a re-run diverges at the same place and gives the same table). Raises ``KeyboardInterrupt``
    if the population was interrupted, so that nothing partial is kept.
    """
    from .errors import TrainingDivergedError
    from .population import greedy_returns, train_population

    config = DQNConfig.from_dict(cell["config"])
    seeds, diverged = list(cell["seeds"]), {}
    while True:
        try:
            agents, histories = train_population(cell["env"], config, seeds, progress=False) if seeds else ([], [])
            break
        except TrainingDivergedError as exc:
            diverged.update({seed: exc.step for seed in exc.seeds})
            seeds = [seed for seed in seeds if seed not in diverged]
    if any(h.interrupted for h in histories):
        raise KeyboardInterrupt
    finals = greedy_returns(agents, cell["env"], cell["final_episodes"], cell["final_seed"]) if agents else []
    payloads = {seed: {"seed": seed, "diverged_at": step, "versions": versions()} for seed, step in diverged.items()}
    for agent, history, final in zip(agents, histories, finals):
        payloads[history.seed] = {
            "seed": history.seed, "history": dict(vars(history)), "final_returns": [float(r) for r in final],
            "weights": agent.q_network.get_weights(), "target_weights": agent.target_network.get_weights(),
            "gradient_steps": agent.gradient_steps, "diverged_at": None, "versions": versions()}
    return [payloads[seed] for seed in cell["seeds"]]


def _write_trial(out, cell, payload):
    """One trial folder, written into a temporary sibling and renamed: whole or absent."""
    import numpy as np

    from .agent import DQNAgent
    from .envs import make_env, obs_dim_and_actions
    from .persistence import save_agent
    from .training import History

    folder = out / cell["env"] / cell["folder"] / f"seed_{payload['seed']}"
    if folder.exists():  # an unfinished earlier attempt (no trial.json): replace it
        shutil.rmtree(folder)
    trial = {"env": cell["env"], "variant": cell["variant"], "seed": payload["seed"], "config_hash": cell["config_hash"]}
    if payload["diverged_at"] is not None:  # no agent to save: the record of the divergence
        tmp = pathlib.Path(tempfile.mkdtemp(prefix=f".seed_{payload['seed']}.partial-", dir=folder.parent))
        try:
            results = {"env_id": cell["env"], "seed": payload["seed"], "solved": False, "diverged_at": payload["diverged_at"],
                       "env_steps": payload["diverged_at"], "evaluations": [], "final_mean": None, "final_std": None,
                       "final_episodes": 0, "versions": payload["versions"]}
            (tmp / "results.json").write_text(json.dumps(results, indent=2))
            (tmp / "trial.json").write_text(json.dumps(trial, indent=2))
            tmp.rename(folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
    history = History(**payload["history"])
    config = DQNConfig.from_dict(cell["config"])
    env = make_env(cell["env"])
    obs_dim, n_actions = obs_dim_and_actions(env)
    env.close()
    agent = DQNAgent(obs_dim, n_actions, config)
    agent.q_network.set_weights(payload["weights"])
    agent.target_network.set_weights(payload["target_weights"])
    agent.gradient_steps = payload["gradient_steps"]
    final = np.asarray(payload["final_returns"])
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=f".seed_{payload['seed']}.partial-", dir=folder.parent))
    try:
        save_agent(agent, tmp, env_id=cell["env"])
        history.write_csv(tmp / "history.csv")
        results = {"env_id": cell["env"], "seed": history.seed, "solved": history.solved, "solved_at": history.solved_at,
                   "solve_threshold": history.solve_threshold, "env_steps": history.env_steps,
                   "gradient_steps": history.gradient_steps, "episodes": len(history.episode_returns),
                   "wall_seconds": round(history.wall_seconds, 3), "evaluations": history.evaluations,
                   "final_mean": float(final.mean()), "final_std": float(final.std()),
                   "final_episodes": len(final), "final_seed": cell["final_seed"], "final_returns": payload["final_returns"],
                   "diverged_at": None, "versions": payload["versions"]}
        (tmp / "results.json").write_text(json.dumps(results, indent=2))
        (tmp / "trial.json").write_text(json.dumps(trial, indent=2))
        tmp.rename(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _write_table(out, plan):
    """``results.csv`` from every finished trial of the grid, in grid order; written whole."""
    rows = []
    for (env_id, variant) in plan["configs"]:
        folder = out / env_id / plan["folders"][variant]
        for seed in plan["grid"]["seeds"]:
            path = folder / f"seed_{seed}" / "results.json"
            if not (folder / f"seed_{seed}" / "trial.json").is_file():
                continue
            results = json.loads(path.read_text())
            common = {"env": env_id, "variant": variant, "seed": seed, "config_hash": plan["hashes"][env_id, variant]}
            for evaluation in results["evaluations"]:
                rows.append({**common, "kind": "eval", "env_steps": evaluation["env_steps"], "mean": evaluation["mean"],
                             "std": evaluation["std"], "episodes": plan["configs"][env_id, variant].eval_episodes,
                             "solved": evaluation["solved"], "diverged": False})
            # A diverged trial's final row has no mean: its network is no longer numbers.
            rows.append({**common, "kind": "final", "env_steps": results["env_steps"], "mean": results["final_mean"],
                         "std": results["final_std"], "episodes": results["final_episodes"], "solved": results["solved"],
                         "diverged": results["diverged_at"] is not None})
    path = out / TABLE
    handle, tmp = tempfile.mkstemp(prefix=".results.", suffix=".csv", dir=out)
    with os.fdopen(handle, "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)
    return path


def _write_text(path, text):
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(handle, "w") as stream:
        stream.write(text)
    os.replace(tmp, path)


def _seed_text(seeds):
    return f"{seeds[0]}-{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 1 else ",".join(map(str, seeds))


# --- engines ---

def _checked_workers(workers, progress):
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise DQNHelpersError(f"workers must be a positive integer, got {workers!r}.")
    free = _free_memory()
    if workers > 1 and free is not None and workers * WORKER_MEMORY > free:
        fits = max(1, int(free // WORKER_MEMORY))
        if progress:
            print(f"{workers} workers would need about {workers * WORKER_MEMORY / 1e9:.0f} GB and {free / 1e9:.1f} GB is free: "
                  f"using {fits}.")
        workers = fits
    return workers


def _free_memory():
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _ignore_interrupts():  # worker processes: Ctrl-C is the driver's to handle
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _LocalEngine:
    """Populations in this process (one worker) or in a pool of worker processes."""

    def __init__(self, workers):
        self.workers, self.pool = workers, None

    def run(self, cells):
        if self.workers == 1 or not cells:
            for cell in cells:
                yield cell, run_cell(cell)
            return
        import concurrent.futures as cf
        import multiprocessing

        # spawn, not fork: a forked TensorFlow is not safe to use.
        self.pool = cf.ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=_ignore_interrupts)
        futures = {self.pool.submit(run_cell, cell): cell for cell in cells}
        for future in cf.as_completed(futures):
            yield futures[future], future.result()
        self.pool.shutdown(wait=True)
        self.pool = None

    def close(self):
        if self.pool is not None:  # stopped early (Ctrl-C, an error): populations in flight are lost, as promised
            for process in list((getattr(self.pool, "_processes", None) or {}).values()):
                process.terminate()
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


class _RayEngine:
    """Each population as a Ray task (1 CPU) on an existing cluster; results come back to this process."""

    def __init__(self, address):
        try:
            import ray
        except ModuleNotFoundError:
            raise DQNHelpersError("--ray needs Ray, which is not installed here: pip install 'dqn_helpers[ray]'.") from None
        if not isinstance(address, str) or not address.strip():
            raise DQNHelpersError(f"a Ray address is 'auto', host:port or ray://host:port, got {address!r}.")
        host_port = address.removeprefix("ray://")
        if address != "auto" and ":" in host_port:
            host, _, port = host_port.rpartition(":")
            try:
                socket.create_connection((host, int(port)), timeout=5).close()
            except (OSError, ValueError) as exc:
                raise DQNHelpersError(f"cannot reach a Ray cluster at {address} ({exc}); start one with `ray start --head` "
                                      "and pass the address it prints.") from None
        try:
            ray.init(address=address, logging_level="ERROR", log_to_driver=False, include_dashboard=False)
        except Exception as exc:  # Ray raises ConnectionError, RuntimeError or its own types
            raise DQNHelpersError(f"cannot connect to a Ray cluster at {address} ({str(exc).splitlines()[0]}).") from None
        self.ray = ray
        self.task = ray.remote(num_cpus=1, max_retries=0)(run_cell)

    def run(self, cells):
        pending = {self.task.remote(cell): cell for cell in cells}  # every population at once: Ray schedules them
        self.pending = pending
        while pending:
            ready, _ = self.ray.wait(list(pending), num_returns=1)
            cell = pending.pop(ready[0])
            yield cell, self.ray.get(ready[0])

    def close(self):
        for ref in getattr(self, "pending", {}):
            self.ray.cancel(ref, force=True)
        self.ray.shutdown()
