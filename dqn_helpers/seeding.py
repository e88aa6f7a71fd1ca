"""One function that seeds every source of randomness in a run."""
import random

import numpy as np

import tensorflow as tf


def seed_everything(seed, env=None):
    """Seed Python, NumPy, TensorFlow and, if given, a gymnasium env and its action space.

    Also switches TensorFlow to deterministic ops, so one seed on one machine gives one
    result. Returns a ``numpy.random.Generator`` seeded with ``seed``, the one the caller
    should draw exploration and replay samples from. Introduced in `01_q_learning_basics.ipynb`.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}.")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
    tf.config.experimental.enable_op_determinism()
    if env is not None:
        env.reset(seed=seed)
        env.action_space.seed(seed)
        env.observation_space.seed(seed)
    return np.random.default_rng(seed)
