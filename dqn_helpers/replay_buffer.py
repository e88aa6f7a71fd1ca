"""A preallocated NumPy ring buffer of transitions: the agent's experience replay."""
from __future__ import annotations

import numbers

import numpy as np

from .errors import DQNHelpersError, check_integer


class ReplayBuffer:
    """Fixed-size memory of ``(obs, action, reward, next_obs, terminated)`` transitions.

    Arrays are allocated once; ``add`` writes in place and, once full, overwrites the
    oldest transition (a ring). Only ``terminated`` is stored: a time-limit truncation is
    not the end of the task, so the TD target must still bootstrap from ``next_obs``.
    Sampling is uniform, from the ``numpy.random.Generator`` given at creation.
    Introduced in `03_replay_buffer.ipynb`.
    """

    def __init__(self, capacity: int, obs_shape: int | tuple[int, ...], rng: np.random.Generator | None = None,
                 obs_dtype=np.float32):
        self.capacity = check_integer("capacity", capacity, 1)
        self.obs_shape = _shape(obs_shape)
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise DQNHelpersError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}.")
        self.rng = rng if rng is not None else np.random.default_rng()
        try:
            self.obs = np.zeros((self.capacity, *self.obs_shape), dtype=obs_dtype)
            self.next_obs = np.zeros_like(self.obs)
            self.actions = np.zeros(self.capacity, dtype=np.int64)
            self.rewards = np.zeros(self.capacity, dtype=np.float32)
            self.terminated = np.zeros(self.capacity, dtype=np.float32)
        except (MemoryError, ValueError):
            per_transition = 2 * int(np.prod(self.obs_shape)) * np.dtype(obs_dtype).itemsize + 16
            raise DQNHelpersError(
                f"capacity {self.capacity:,} is too large: the buffer would need about "
                f"{self.capacity * per_transition / 1e9:,.0f} GB of memory; DQN uses 10^4 to 10^6 transitions.") from None
        self.position = 0  # where the next transition goes
        self.size = 0  # how many slots hold a transition

    def __len__(self) -> int:
        return self.size

    def add(self, obs, action: int, reward: float, next_obs, terminated: bool) -> None:
        """Store one transition, overwriting the oldest when the buffer is full."""
        obs = np.asarray(obs)
        next_obs = np.asarray(next_obs)
        if obs.shape != self.obs_shape or next_obs.shape != self.obs_shape:
            raise DQNHelpersError(
                f"obs and next_obs must have shape {self.obs_shape}, got {obs.shape} and {next_obs.shape}."
            )
        i = self.position
        self.obs[i] = obs
        self.actions[i] = action
        self.rewards[i] = reward
        self.next_obs[i] = next_obs
        self.terminated[i] = terminated
        self.position = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample_indices(self, batch_size: int, n_batches: int | None = None) -> np.ndarray:
        """Uniform random slot indices, shape ``(batch_size,)`` or ``(n_batches, batch_size)``."""
        batch_size = check_integer("batch_size", batch_size, 1)
        if n_batches is not None:
            n_batches = check_integer("n_batches", n_batches, 1)
        if batch_size > self.size:
            raise DQNHelpersError(
                f"cannot sample a batch of {batch_size} from a replay buffer holding only {self.size} "
                f"transition{'' if self.size == 1 else 's'}; wait until it holds at least one batch (see learning_starts)."
            )
        shape = (batch_size,) if n_batches is None else (n_batches, batch_size)
        return self.rng.integers(0, self.size, size=shape)

    def sample(self, batch_size: int, n_batches: int | None = None) -> dict[str, np.ndarray]:
        """A batch as a dict of arrays: ``obs, actions, rewards, next_obs, terminated``.

        With ``n_batches``, every array gets a leading axis of that length: several
        independent batches drawn at once, for several gradient steps in one call.
        """
        idx = self.sample_indices(batch_size, n_batches)
        return {
            "obs": self.obs[idx],
            "actions": self.actions[idx],
            "rewards": self.rewards[idx],
            "next_obs": self.next_obs[idx],
            "terminated": self.terminated[idx],
        }


def _shape(obs_shape):
    """``4``, ``(4,)``, ``[4]``, ``np.array([4])`` or ``env.observation_space.shape`` -> ``(4,)``."""
    if isinstance(obs_shape, numbers.Integral) and not isinstance(obs_shape, bool):
        obs_shape = (obs_shape,)
    try:
        dims = tuple(np.asarray(obs_shape).reshape(-1).tolist()) if np.ndim(obs_shape) <= 1 else None
    except (TypeError, ValueError):
        dims = None
    if dims is None or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in dims):
        raise DQNHelpersError(f"obs_shape must be a tuple of positive integers such as (4,) (env.observation_space.shape), got {obs_shape!r}.")
    return dims
