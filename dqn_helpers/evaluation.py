"""Greedy evaluation on fixed-seed episodes."""
from dataclasses import dataclass

import gymnasium as gym
import numpy as np

from .envs import make_env


@dataclass
class EvalResult:
    """Returns and lengths of evaluation episodes, with the seeds that reset them.

    Introduced in `02_keras_q_network.ipynb`.
    """

    returns: np.ndarray
    lengths: np.ndarray
    seeds: list

    @property
    def mean(self):
        return float(np.mean(self.returns))

    @property
    def std(self):
        return float(np.std(self.returns))

    def __str__(self):
        return f"{self.mean:.1f} ± {self.std:.1f} over {len(self.returns)} episodes"


def evaluate(policy, env, n_episodes=20, seed=10_000):
    """Run ``n_episodes`` greedy episodes; episode ``i`` is reset with seed ``seed + i``.

    ``policy`` is a ``DQNAgent`` (its greedy actions are used) or any function mapping a
    batch of observations to a batch of actions. ``env`` is an env id, an ``EnvSpec`` or
    an env (its spec is used). The episodes run side by side, so the Q-network is
    evaluated once per step for all of them. Introduced in `02_keras_q_network.ipynb`;
    used for every evaluation from `04_training_loop.ipynb` on.
    """
    if n_episodes < 1:
        raise ValueError(f"n_episodes must be at least 1, got {n_episodes}.")
    act = policy.greedy_actions if hasattr(policy, "greedy_actions") else policy
    spec = env.spec if isinstance(env, gym.Env) else env
    envs = [make_env(spec) if isinstance(spec, str) else gym.make(spec) for _ in range(n_episodes)]
    seeds = [seed + i for i in range(n_episodes)]
    try:
        obs = np.stack([e.reset(seed=s)[0] for e, s in zip(envs, seeds)]).astype(np.float32)
        returns = np.zeros(n_episodes)
        lengths = np.zeros(n_episodes, dtype=np.int64)
        running = np.ones(n_episodes, dtype=bool)
        while running.any():
            ids = np.flatnonzero(running)
            actions = np.asarray(act(obs[ids]))
            for i, action in zip(ids, actions):
                obs[i], reward, terminated, truncated, _ = envs[i].step(int(action))
                returns[i] += reward
                lengths[i] += 1
                running[i] = not (terminated or truncated)
    finally:
        for e in envs:
            e.close()
    return EvalResult(returns=returns, lengths=lengths, seeds=seeds)
