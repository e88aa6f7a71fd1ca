"""Tabular Q-learning for gymnasium's grid worlds (FrozenLake, CliffWalking)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import gymnasium as gym
import numpy as np

from .errors import DQNHelpersError, check_integer, check_number
from .progress import progress_bar
from .seeding import seed_everything


def greedy_action(q_row: np.ndarray, rng: np.random.Generator) -> int:
    """``argmax_a Q(s, a)``, breaking ties at random.

    Plain ``np.argmax`` always picks the first of equal values, so an all-zero table
    would always choose action 0. Introduced in `01_q_learning_basics.ipynb`.
    """
    best = np.flatnonzero(q_row == np.max(q_row))
    return int(best[0] if len(best) == 1 else rng.choice(best))


def epsilon_greedy(q_row: np.ndarray, epsilon: float, rng: np.random.Generator) -> int:
    """A random action with probability ``epsilon``, otherwise the greedy one.

    Introduced in `01_q_learning_basics.ipynb`.
    """
    if rng.random() < epsilon:
        return int(rng.integers(len(q_row)))
    return greedy_action(q_row, rng)


def q_learning_update(q_table: np.ndarray, obs: int, action: int, reward: float, next_obs: int, terminated: bool,
                      alpha: float, gamma: float) -> float:
    """One Q-learning step, in place: ``Q(s,a) += alpha * (r + gamma * max_a' Q(s',a') - Q(s,a))``.

    A terminated transition has no future: its target is just ``r``. Returns the TD error.
    Introduced in `01_q_learning_basics.ipynb`.
    """
    future = 0.0 if terminated else gamma * np.max(q_table[next_obs])
    td_error = reward + future - q_table[obs, action]
    q_table[obs, action] += alpha * td_error
    return float(td_error)


def expected_sarsa_update(q_table: np.ndarray, obs: int, action: int, reward: float, next_obs: int,
                          terminated: bool, alpha: float, gamma: float, epsilon: float) -> float:
    """One Expected SARSA step, in place: the target averages Q(s', .) under the epsilon-greedy policy.

    ``Q(s,a) += alpha * (r + gamma * sum_a' pi(a'|s') Q(s',a') - Q(s,a))`` where pi gives each action
    ``epsilon / n_actions`` and shares ``1 - epsilon`` among the greedy (tied-for-max) actions.
    With ``epsilon = 0`` it is Q-learning. Returns the TD error (Sutton & Barto, 2018, section 6.6).
    Introduced in `01_q_learning_basics.ipynb`.
    """
    q_next = q_table[next_obs]
    greedy = q_next == np.max(q_next)
    policy = np.full(len(q_next), epsilon / len(q_next)) + greedy * (1.0 - epsilon) / greedy.sum()
    future = 0.0 if terminated else gamma * float(policy @ q_next)
    td_error = reward + future - q_table[obs, action]
    q_table[obs, action] += alpha * td_error
    return float(td_error)


@dataclass
class QLearningResult:
    """The learned table and per-episode statistics of ``train_q_learning``."""

    q_table: np.ndarray
    episode_returns: np.ndarray
    episode_lengths: np.ndarray
    epsilons: np.ndarray


def train_q_learning(env: gym.Env | str, n_episodes: int = 2_000, alpha: float = 0.1, gamma: float = 0.99,
                     epsilon_start: float = 1.0, epsilon_end: float = 0.05, decay_fraction: float = 0.5,
                     seed: int = 0, progress: bool = False, update: Callable[..., float] | None = None
                     ) -> QLearningResult:
    """Train a Q-table on a discrete env; epsilon decays linearly over the first ``decay_fraction`` of episodes.

    ``env`` is a gymnasium env or an id. It must have Discrete observations and actions, and
    must end its episodes (give CliffWalking-v1 a ``max_episode_steps``). ``progress=True`` shows a progress bar over
    episodes. ``update`` replaces the Q-learning update by another TD update with the same
    arguments plus ``epsilon`` (for example ``expected_sarsa_update``). Introduced in `01_q_learning_basics.ipynb`.
    """
    if update is None:
        def update(q_table, obs, action, reward, next_obs, terminated, alpha, gamma, epsilon):
            return q_learning_update(q_table, obs, action, reward, next_obs, terminated, alpha, gamma)
    if isinstance(env, str):
        try:
            env = gym.make(env)
        except gym.error.Error as exc:
            raise DQNHelpersError(f"Unknown environment id {env!r}; check the spelling, e.g. FrozenLake-v1 ({exc}).") from None
    if not isinstance(env, gym.Env):
        raise DQNHelpersError(f"env must be a gymnasium env or an env id such as 'FrozenLake-v1', got {type(env).__name__}.")
    if not isinstance(env.observation_space, gym.spaces.Discrete) or not isinstance(env.action_space, gym.spaces.Discrete):
        raise DQNHelpersError(
            f"a Q-table needs Discrete observations and actions, but this env has {env.observation_space} and "
            f"{env.action_space}; for vector observations such as CartPole's, use the DQN of notebooks 02-05.")
    n_episodes = check_integer("n_episodes", n_episodes, 1)
    for name, value, low_open in (("alpha", alpha, True), ("gamma", gamma, False), ("epsilon_start", epsilon_start, False),
                                  ("epsilon_end", epsilon_end, False), ("decay_fraction", decay_fraction, True)):
        check_number(name, value, 0, 1, low_open=low_open)
    if epsilon_end > epsilon_start:
        raise DQNHelpersError(f"epsilon_end ({epsilon_end}) must not exceed epsilon_start ({epsilon_start}): epsilon decays.")
    rng = seed_everything(seed, env)
    q_table = np.zeros((env.observation_space.n, env.action_space.n))
    returns, lengths, epsilons = np.zeros(n_episodes), np.zeros(n_episodes, dtype=int), np.zeros(n_episodes)
    decay_episodes = max(1, int(decay_fraction * n_episodes))
    for episode in progress_bar(range(n_episodes), desc="Q-learning", unit="episode", disable=not progress):
        epsilon = max(epsilon_end, epsilon_start - (epsilon_start - epsilon_end) * episode / decay_episodes)
        obs, _ = env.reset(seed=seed + episode)
        terminated = truncated = False
        while not (terminated or truncated):
            action = epsilon_greedy(q_table[obs], epsilon, rng)
            next_obs, reward, terminated, truncated, _ = env.step(action)
            update(q_table, obs, action, reward, next_obs, terminated, alpha, gamma, epsilon)
            obs = next_obs
            returns[episode] += reward
            lengths[episode] += 1
        epsilons[episode] = epsilon
    return QLearningResult(q_table, returns, lengths, epsilons)


def greedy_rollout(env: gym.Env, q_table: np.ndarray, seed: int = 0, max_steps: int = 200) -> tuple[list[int], float]:
    """Follow the greedy policy of ``q_table`` for one episode; returns the visited states and the return.

    Ties are broken toward the first action, so the rollout is deterministic.
    Introduced in `01_q_learning_basics.ipynb`.
    """
    obs, _ = env.reset(seed=seed)
    states, total = [int(obs)], 0.0
    for _ in range(max_steps):
        obs, reward, terminated, truncated, _ = env.step(int(np.argmax(q_table[obs])))
        states.append(int(obs))
        total += reward
        if terminated or truncated:
            break
    return states, total
