"""One function that seeds every source of randomness in a run."""
from __future__ import annotations

import random
import sys

import numpy as np

# A seed for TensorFlow given before TensorFlow was loaded: applied when dqn_helpers loads it.
_pending_tensorflow = None


def seed_everything(seed: int, env=None, deterministic: bool = True) -> np.random.Generator:
    """Seed Python, NumPy, TensorFlow and, if given, a gymnasium env and its spaces.

    Returns a ``numpy.random.Generator`` seeded with ``seed``, the one the caller should draw
    exploration and replay samples from.

    TensorFlow is seeded only if it is loaded (importing it takes seconds, and notebook 01
    needs none of it); if it is not, the seed is kept and applied as soon as dqn_helpers loads
    TensorFlow (its first Q-network or agent). Seeding a loaded TensorFlow also gives it the
    course's one thread, if it has not run an op yet (see ``dqn_helpers._tensorflow``). With ``deterministic=True`` (the default) it
    also switches TensorFlow to deterministic ops, so one seed on one machine gives one result;
    that switch is process-wide and stays on. ``train`` calls this function, so training is
    always seeded and deterministic. Introduced in `01_q_learning_basics.ipynb`.
    """
    global _pending_tensorflow
    from .errors import DQNHelpersError, check_integer

    seed = check_integer("seed", seed, 0)
    if not isinstance(deterministic, bool):
        raise DQNHelpersError(f"deterministic must be True or False, got {deterministic!r}.")
    random.seed(seed)
    np.random.seed(seed)
    if "tensorflow" in sys.modules:
        _seed_tensorflow(seed, deterministic)
        _pending_tensorflow = None
    else:
        _pending_tensorflow = (seed, deterministic)
    if env is not None:
        env.reset(seed=seed)
        env.action_space.seed(seed)
        env.observation_space.seed(seed)
    return np.random.default_rng(seed)


def _seed_tensorflow(seed, deterministic):
    from . import _tensorflow  # noqa: F401  (the first time: one thread for TensorFlow, if no op ran yet)
    import tensorflow as tf

    tf.random.set_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def _apply_pending_tensorflow_seed():
    """Called once TensorFlow is loaded by dqn_helpers: apply a seed given before that."""
    global _pending_tensorflow
    if _pending_tensorflow is not None:
        _seed_tensorflow(*_pending_tensorflow)
        _pending_tensorflow = None

