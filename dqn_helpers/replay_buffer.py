"""A preallocated NumPy ring buffer of transitions: the agent's experience replay."""
import numpy as np


class ReplayBuffer:
    """Fixed-size memory of ``(obs, action, reward, next_obs, terminated)`` transitions.

    Arrays are allocated once; ``add`` writes in place and, once full, overwrites the
    oldest transition (a ring). Only ``terminated`` is stored: a time-limit truncation is
    not the end of the task, so the TD target must still bootstrap from ``next_obs``.
    Sampling is uniform, from the ``numpy.random.Generator`` given at creation.
    Introduced in `03_replay_buffer.ipynb`.
    """

    def __init__(self, capacity, obs_shape, rng=None, obs_dtype=np.float32):
        if int(capacity) != capacity or capacity < 1:
            raise ValueError(f"capacity must be a positive integer, got {capacity!r}.")
        self.capacity = int(capacity)
        self.obs_shape = tuple(int(d) for d in np.atleast_1d(obs_shape)) if obs_shape != () else ()
        self.rng = rng if rng is not None else np.random.default_rng()
        self.obs = np.zeros((self.capacity, *self.obs_shape), dtype=obs_dtype)
        self.next_obs = np.zeros_like(self.obs)
        self.actions = np.zeros(self.capacity, dtype=np.int64)
        self.rewards = np.zeros(self.capacity, dtype=np.float32)
        self.terminated = np.zeros(self.capacity, dtype=np.float32)
        self.position = 0  # where the next transition goes
        self.size = 0  # how many slots hold a transition

    def __len__(self):
        return self.size

    def add(self, obs, action, reward, next_obs, terminated):
        """Store one transition, overwriting the oldest when the buffer is full."""
        obs = np.asarray(obs)
        next_obs = np.asarray(next_obs)
        if obs.shape != self.obs_shape or next_obs.shape != self.obs_shape:
            raise ValueError(
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

    def sample_indices(self, batch_size, n_batches=None):
        """Uniform random slot indices, shape ``(batch_size,)`` or ``(n_batches, batch_size)``."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}.")
        if batch_size > self.size:
            raise ValueError(
                f"cannot sample a batch of {batch_size} from a replay buffer holding only {self.size} "
                f"transition{'' if self.size == 1 else 's'}; wait until it holds at least one batch (see learning_starts)."
            )
        shape = (batch_size,) if n_batches is None else (n_batches, batch_size)
        return self.rng.integers(0, self.size, size=shape)

    def sample(self, batch_size, n_batches=None):
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
