"""Greedy evaluation on fixed-seed episodes."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._threads import one_blas_thread
from .envs import EnvLike, env_factory
from .errors import DQNHelpersError, check_integer


@dataclass
class EvalResult:
    """Returns and lengths of evaluation episodes, with the seeds that reset them.

    Introduced in `02_keras_q_network.ipynb`.
    """

    returns: np.ndarray
    lengths: np.ndarray
    seeds: list[int]

    @property
    def mean(self) -> float:
        return float(np.mean(self.returns))

    @property
    def std(self) -> float:
        return float(np.std(self.returns))

    def __str__(self) -> str:
        return f"{self.mean:.1f} ± {self.std:.1f} over {len(self.returns)} episodes"


def policy_function(policy) -> Callable[[np.ndarray], np.ndarray]:
    """The batch-of-observations -> batch-of-actions function of ``policy``.

    ``policy`` is an agent (anything with ``greedy_actions``, used as its greedy policy) or a
    function mapping a batch of observations to a batch of actions.
    """
    if hasattr(policy, "greedy_actions"):
        return policy.greedy_actions
    if callable(policy):
        return policy
    raise DQNHelpersError(
        f"policy must be a DQNAgent or a function from a batch of observations to actions, got {type(policy).__name__}.")


def evaluate(policy, env: EnvLike, n_episodes: int = 20, seed: int = 10_000) -> EvalResult:
    """Run ``n_episodes`` greedy episodes; episode ``i`` is reset with seed ``seed + i``.

    ``policy`` is a ``DQNAgent`` (its greedy actions are used) or any function mapping a
    batch of observations to a batch of actions. ``env`` is an env id, an ``EnvSpec``, an env
    (rebuilt from its spec, wrappers included) or a function returning a new env: see
    ``envs.env_factory``, the one rule ``train`` follows too. The episodes run side by side,
    so the Q-network is evaluated once per step for all of them. Introduced in
    `02_keras_q_network.ipynb`; used for every evaluation from `04_training_loop.ipynb` on.
    """
    n_episodes, seed = check_integer("n_episodes", n_episodes, 1), check_integer("seed", seed, 0)
    act = policy_function(policy)
    make = env_factory(env)
    seeds = [seed + i for i in range(n_episodes)]
    scope = policy._acting_scope() if hasattr(policy, "_acting_scope") else one_blas_thread()
    envs = []
    try:
        envs.extend(make() for _ in range(n_episodes))
        with scope:
            obs = np.stack([e.reset(seed=s)[0] for e, s in zip(envs, seeds)]).astype(np.float32)
            returns = np.zeros(n_episodes)
            lengths = np.zeros(n_episodes, dtype=np.int64)
            running = np.ones(n_episodes, dtype=bool)
            while running.any():
                ids = np.flatnonzero(running)
                actions = np.asarray(act(obs[ids]))
                if actions.shape != (len(ids),):
                    raise DQNHelpersError(
                        f"the policy must return one action per observation: given {len(ids)} observations it "
                        f"returned an array of shape {actions.shape}.")
                for i, action in zip(ids, actions):
                    obs[i], reward, terminated, truncated, _ = envs[i].step(int(action))
                    returns[i] += reward
                    lengths[i] += 1
                    running[i] = not (terminated or truncated)
    finally:
        for e in envs:
            e.close()
    return EvalResult(returns=returns, lengths=lengths, seeds=seeds)
