"""The Q-network: a small Keras MLP mapping an observation to one Q-value per action."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import _tensorflow  # noqa: F401  (TensorFlow the course's way, before Keras loads it)
from .errors import DQNHelpersError, check_integer

import keras  # noqa: E402


@keras.saving.register_keras_serializable(package="dqn_helpers")
class DuelingCombine(keras.layers.Layer):
    """``Q(s, a) = V(s) + A(s, a) - mean_a' A(s, a')`` from a value and an advantage stream.

    Subtracting the mean advantage makes the split unique: without it, any constant could
    move from V to A. Introduced in `06_beyond_vanilla_dqn.ipynb`.
    """

    def call(self, value, advantage):
        return value + advantage - keras.ops.mean(advantage, axis=-1, keepdims=True)


def build_q_network(obs_dim: int, n_actions: int, hidden_sizes: Sequence[int] = (64, 64),
                    name: str = "q_network", dueling: bool = False) -> keras.Model:
    """A ReLU MLP ``obs_dim -> hidden_sizes -> n_actions`` with a linear output layer.

    The classic snippet's network (notebook 02) is ``hidden_sizes=(64, 64)``. ``n_actions`` is cast with ``int()``
    because Keras 3 rejects NumPy integers such as ``env.action_space.n``. With
    ``dueling=True`` the last hidden layer feeds two heads, a value ``V(s)`` and advantages
    ``A(s, a)``, combined by ``DuelingCombine`` (notebook 06).
    Introduced in `02_keras_q_network.ipynb`.
    """
    obs_dim, n_actions = check_integer("obs_dim", obs_dim, 1), check_integer("n_actions", n_actions, 1)
    if isinstance(hidden_sizes, (str, bytes)) or not isinstance(hidden_sizes, Sequence) or not hidden_sizes:
        raise DQNHelpersError(f"hidden_sizes must be a non-empty list of positive integers such as (64, 64), got {hidden_sizes!r}.")
    hidden_sizes = [check_integer("each of hidden_sizes", h, 1) for h in hidden_sizes]
    if not dueling:
        layers = [keras.Input(shape=(obs_dim,))]
        layers += [keras.layers.Dense(int(h), activation="relu") for h in hidden_sizes]
        layers.append(keras.layers.Dense(n_actions, name="q_values"))
        return keras.Sequential(layers, name=name)
    obs = keras.Input(shape=(obs_dim,))
    x = obs
    for h in hidden_sizes:
        x = keras.layers.Dense(int(h), activation="relu")(x)
    value = keras.layers.Dense(1, name="value")(x)
    advantage = keras.layers.Dense(n_actions, name="advantage")(x)
    return keras.Model(obs, DuelingCombine(name="q_values")(value, advantage), name=name)


def numpy_forward(weights: Sequence[np.ndarray], obs, dueling: bool = False) -> np.ndarray:
    """Q-values of a ``build_q_network`` MLP computed with NumPy from its weight list.

    ``weights`` is ``model.get_weights()``: kernel, bias, kernel, bias, ... (for a dueling
    network the last two pairs are the value and the advantage heads). For one observation
    this is ~100x cheaper than ``model.predict`` and skips TensorFlow's per-call overhead
    entirely, which is why the agent acts with it. Introduced in `02_keras_q_network.ipynb`.
    """
    x = np.asarray(obs, dtype=np.float32)
    n_hidden = len(weights) // 2 - (2 if dueling else 1)
    for i in range(n_hidden):
        x = np.maximum(x @ weights[2 * i] + weights[2 * i + 1], 0.0)
    if not dueling:
        return x @ weights[-2] + weights[-1]
    value = x @ weights[-4] + weights[-3]
    advantage = x @ weights[-2] + weights[-1]
    return value + advantage - advantage.mean(axis=-1, keepdims=True)

