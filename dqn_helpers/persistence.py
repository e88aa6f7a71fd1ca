"""Saving a trained agent to a folder and loading it back."""
from __future__ import annotations

import json
import os
import pathlib
import tempfile
import warnings

from . import _tensorflow  # noqa: F401  (TensorFlow the course's way, before Keras loads it)
from .agent import DQNAgent
from .config import DQNConfig
from .errors import DQNHelpersError
from .errors import first_line as _short

import keras  # noqa: E402

MODEL_FILE = "model.keras"
CONFIG_FILE = "config.json"


def save_agent(agent: DQNAgent, folder: str | os.PathLike, env_id: str | None = None) -> pathlib.Path:
    """Write ``model.keras`` (the Q-network) and ``config.json`` (DQNConfig, env id, sizes) into ``folder``.

    Each file is written under a temporary name and renamed into place, so an interrupted
    save never leaves a half-written file. Returns the folder as a ``pathlib.Path``.
    Introduced in `04_training_loop.ipynb`.
    """
    if not isinstance(agent, DQNAgent):
        raise DQNHelpersError(f"save_agent saves a DQNAgent, got {type(agent).__name__}.")
    if env_id is not None and not isinstance(env_id, str):
        raise DQNHelpersError(f"env_id must be an env id string such as 'CartPole-v1' or None, got {env_id!r}.")
    folder = pathlib.Path(folder)
    if folder.exists() and not folder.is_dir():
        raise DQNHelpersError(f"Cannot save an agent to {folder}: it is a file, not a folder.")
    folder.mkdir(parents=True, exist_ok=True)
    meta = {
        "env_id": env_id,
        "obs_dim": agent.obs_dim,
        "n_actions": agent.n_actions,
        "config": agent.config.to_dict(),
    }
    _write_atomically(folder / MODEL_FILE, lambda path: _save_model(agent.q_network, path), suffix=".keras")
    _write_atomically(folder / CONFIG_FILE, lambda path: pathlib.Path(path).write_text(json.dumps(meta, indent=2)))
    return folder


def load_agent(folder: str | os.PathLike) -> tuple[DQNAgent, str | None]:
    """Load an agent saved by ``save_agent``; returns ``(agent, env_id)``.

    Raises ``DQNHelpersError`` with one plain sentence when the folder is missing, is not
    a saved agent, or holds a corrupt file. Introduced in `05_greedy_evaluation.ipynb`.
    """
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        raise DQNHelpersError(
            f"There is no saved agent at {folder}: the folder does not exist; train one first "
            f"(python -m dqn_helpers train --out {folder})."
        )
    for name in (CONFIG_FILE, MODEL_FILE):
        if not (folder / name).is_file():
            raise DQNHelpersError(f"{folder} is not a saved agent: it has no {name}; point to a run folder written by save_agent or the train command.")
    try:
        meta = json.loads((folder / CONFIG_FILE).read_text())
        config = DQNConfig.from_dict(meta["config"])
        obs_dim, n_actions = int(meta["obs_dim"]), int(meta["n_actions"])
    except (ValueError, KeyError, TypeError) as exc:
        raise DQNHelpersError(f"{folder / CONFIG_FILE} is corrupt ({_short(exc)}); re-save the agent or train it again.") from None
    try:
        model = keras.models.load_model(folder / MODEL_FILE, compile=False)
    except Exception as exc:  # Keras raises many types for a damaged zip or a foreign file
        raise DQNHelpersError(f"{folder / MODEL_FILE} cannot be read as a Keras model ({_short(exc)}); re-save the agent or train it again.") from None
    try:
        agent = DQNAgent(obs_dim, n_actions, config)
    except DQNHelpersError as exc:
        raise DQNHelpersError(f"{folder / CONFIG_FILE} describes an agent that cannot be built ({_short(exc)}).") from None
    try:
        agent.q_network.set_weights(model.get_weights())
    except ValueError as exc:
        raise DQNHelpersError(f"{folder / MODEL_FILE} does not match {CONFIG_FILE} ({_short(exc)}); re-save the agent.") from None
    agent.update_target(tau=1.0)
    return agent, meta.get("env_id")


def _save_model(model, path):
    with warnings.catch_warnings():
        # Keras 3.15's saver converts TensorFlow tensors in a way NumPy 2 flags as deprecated;
        # harmless, and not the learner's concern.
        warnings.filterwarnings("ignore", message="__array__ implementation doesn't accept a copy keyword")
        model.save(path)


def _write_atomically(path, write, suffix=""):
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(handle)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
