"""Making gymnasium environments, with a clear error when one cannot be used."""
import os

import gymnasium as gym
import numpy as np

from .errors import DQNHelpersError


def make_env(env_id, render_mode=None, **kwargs):
    """``gymnasium.make`` that says plainly what is wrong with an id DQN cannot use.

    Raises ``DQNHelpersError`` for an unknown or deprecated id, and for an env whose
    actions are not discrete or whose observation is not a vector.
    Introduced in `02_keras_q_network.ipynb`.
    """
    if render_mode == "rgb_array":
        # Off-screen frames need no window; without this, pygame's SDL complains on stderr
        # on machines without a display (servers, Binder, CI).
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    try:
        env = gym.make(env_id, render_mode=render_mode, **kwargs)
    except gym.error.DependencyNotInstalled as exc:
        raise DQNHelpersError(f"Environment {env_id!r} needs a package that is not installed ({exc}).") from None
    except gym.error.Error as exc:
        raise DQNHelpersError(
            f"Unknown environment id {env_id!r} ({_first_line(exc)}); check the spelling, e.g. CartPole-v1."
        ) from None
    try:
        check_dqn_env(env)
    except DQNHelpersError:
        env.close()
        raise
    return env


def check_dqn_env(env):
    """Raise ``DQNHelpersError`` unless ``env`` has Discrete actions and a 1-D Box observation.

    Introduced in `02_keras_q_network.ipynb`.
    """
    name = env.spec.id if env.spec is not None else type(env.unwrapped).__name__
    actions = env.action_space
    if not isinstance(actions, gym.spaces.Discrete) or int(actions.start) != 0:
        raise DQNHelpersError(
            f"{name} has the action space {actions}, but DQN chooses among a finite list of actions "
            "(a Discrete space starting at 0); pick an env such as CartPole-v1 or Acrobot-v1."
        )
    observations = env.observation_space
    if not isinstance(observations, gym.spaces.Box) or len(observations.shape) != 1:
        raise DQNHelpersError(
            f"{name} has the observation space {observations}, but this Q-network takes a vector "
            "(a 1-D Box); for grid worlds such as FrozenLake use the tabular Q-learning of notebook 01."
        )
    return env


def obs_dim_and_actions(env):
    """Size of the observation vector and number of actions of a checked env."""
    return int(np.prod(env.observation_space.shape)), int(env.action_space.n)


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return text[0].rstrip(".") if text else type(exc).__name__
