"""The Q-network: a small Keras MLP mapping an observation to one Q-value per action."""
import numpy as np

import keras


def build_q_network(obs_dim, n_actions, hidden_sizes=(64, 64), name="q_network"):
    """A ReLU MLP ``obs_dim -> hidden_sizes -> n_actions`` with a linear output layer.

    The blog's network is ``hidden_sizes=(64, 64)``. ``n_actions`` is cast with ``int()``
    because Keras 3 rejects NumPy integers such as ``env.action_space.n``.
    Introduced in `02_keras_q_network.ipynb`.
    """
    obs_dim, n_actions = int(obs_dim), int(n_actions)
    if obs_dim < 1 or n_actions < 1:
        raise ValueError(f"obs_dim and n_actions must be positive, got {obs_dim} and {n_actions}.")
    if not hidden_sizes or any(int(h) < 1 for h in hidden_sizes):
        raise ValueError(f"hidden_sizes must be a non-empty list of positive integers, got {hidden_sizes!r}.")
    layers = [keras.Input(shape=(obs_dim,))]
    layers += [keras.layers.Dense(int(h), activation="relu") for h in hidden_sizes]
    layers.append(keras.layers.Dense(n_actions, name="q_values"))
    return keras.Sequential(layers, name=name)


def numpy_forward(weights, obs):
    """Q-values of a ``build_q_network`` MLP computed with NumPy from its weight list.

    ``weights`` is ``model.get_weights()``: kernel, bias, kernel, bias, ... For one
    observation this is ~100x cheaper than ``model.predict`` and skips TensorFlow's
    per-call overhead entirely, which is why the agent acts with it.
    Introduced in `02_keras_q_network.ipynb`.
    """
    x = np.asarray(obs, dtype=np.float32)
    n_layers = len(weights) // 2
    for i in range(n_layers):
        x = x @ weights[2 * i] + weights[2 * i + 1]
        if i < n_layers - 1:
            x = np.maximum(x, 0.0)
    return x
