"""dqn_helpers: the small package behind the course notebooks.

Each public function's docstring names the notebook that introduces it. The modules are
flat and small, one idea each:

- ``tabular``: Q-learning with a table (notebook 01)
- ``networks``: the Keras Q-network (notebook 02)
- ``replay_buffer``: the NumPy ring buffer (notebook 03)
- ``schedules``, ``config``, ``agent``, ``training``: the DQN training loop (notebook 04)
- ``evaluation``, ``persistence``, ``plotting``: greedy evaluation, saving, figures (notebook 05)
- ``population``: many seeds trained at once, in lockstep, in one process (notebook 05)
- ``sweeps``, ``study``: a grid of variants x seeds into one table, and its scores for rliable (notebook 06)
- ``envs``, ``seeding``: making checked environments and seeding everything (all notebooks)
- ``progress``: progress bars that end green when a run stops because it solved the task
- ``errors``: ``DQNHelpersError``, the one exception for a user's mistake, and ``TrainingDivergedError``
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Importing the package is cheap and changes nothing else in the process. It sets two
# environment variables for TensorFlow, as defaults, in case TensorFlow loads later (see
# _quiet_tensorflow); TensorFlow itself loads with the first module that needs it (networks,
# agent, training, persistence), NumPy's BLAS is held to one thread only while an agent acts
# (see _threads), and TensorFlow's deterministic ops are switched on by seed_everything and
# train, not here.
from . import _quiet_tensorflow  # noqa: F401

__version__ = "0.1.0"

# Where each public name lives; a name's module is imported the first time it is used.
_EXPORTS = {
    "DQNAgent": "agent", "double_td_targets": "agent", "td_targets": "agent",
    "DQNConfig": "config",
    "make_env": "envs",
    "DQNHelpersError": "errors", "TrainingDivergedError": "errors",
    "EvalResult": "evaluation", "evaluate": "evaluation",
    "build_q_network": "networks",
    "load_agent": "persistence", "save_agent": "persistence",
    "progress_bar": "progress",
    "ReplayBuffer": "replay_buffer",
    "exponential_epsilon": "schedules", "linear_epsilon": "schedules",
    "seed_everything": "seeding",
    "QLearningResult": "tabular", "epsilon_greedy": "tabular", "expected_sarsa_update": "tabular",
    "greedy_action": "tabular", "greedy_rollout": "tabular", "q_learning_update": "tabular",
    "train_q_learning": "tabular",
    "History": "training", "train": "training",
    "train_population": "population",
    "sweep": "sweeps", "sweep_table": "sweeps",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dqn_helpers' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from .agent import DQNAgent, double_td_targets, td_targets
    from .config import DQNConfig
    from .envs import make_env
    from .errors import DQNHelpersError, TrainingDivergedError
    from .evaluation import EvalResult, evaluate
    from .networks import build_q_network
    from .persistence import load_agent, save_agent
    from .progress import progress_bar
    from .replay_buffer import ReplayBuffer
    from .schedules import exponential_epsilon, linear_epsilon
    from .seeding import seed_everything
    from .tabular import (QLearningResult, epsilon_greedy, expected_sarsa_update, greedy_action,
                          greedy_rollout, q_learning_update, train_q_learning)
    from .training import History, train
    from .population import train_population
    from .sweeps import sweep, sweep_table
