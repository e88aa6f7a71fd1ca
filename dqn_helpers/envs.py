"""Making gymnasium environments, with a clear error when one cannot be used."""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import Union

import gymnasium as gym
import numpy as np

from .errors import DQNHelpersError
from .errors import first_line as _first_line

EnvLike = Union[str, gym.envs.registration.EnvSpec, gym.Env, Callable[[], gym.Env]]
"""What ``train`` and ``evaluate`` accept as an env: an id, a spec, an env, or a function making one."""


def make_env(env_id: str | gym.envs.registration.EnvSpec, render_mode: str | None = None, **kwargs) -> gym.Env:
    """``gymnasium.make`` that says plainly what is wrong with an id DQN cannot use.

    Raises ``DQNHelpersError`` for an unknown or deprecated id, and for an env whose
    actions are not discrete or whose observation is not a vector.
    Introduced in `02_keras_q_network.ipynb`.
    """
    if render_mode == "rgb_array":
        # Off-screen frames need no window; without this, pygame's SDL complains on stderr
        # on machines without a display (servers, Binder, CI).
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    if not isinstance(env_id, (str, gym.envs.registration.EnvSpec)):
        raise DQNHelpersError(f"env_id must be a gymnasium env id such as 'CartPole-v1', got {type(env_id).__name__}.")
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


def check_dqn_env(env: gym.Env) -> gym.Env:
    """Raise ``DQNHelpersError`` unless ``env`` has Discrete actions and a 1-D Box observation.

    Introduced in `02_keras_q_network.ipynb`.
    """
    if not isinstance(env, gym.Env):
        raise DQNHelpersError(f"expected a gymnasium env (or an env id such as 'CartPole-v1'), got {type(env).__name__}.")
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


def env_factory(env: EnvLike, purpose: str = "evaluation") -> Callable[[], gym.Env]:
    """A function that builds a fresh copy of ``env`` each time it is called.

    The one way ``train`` and ``evaluate`` get evaluation envs, so both evaluate on the same
    task. ``env`` is an id (``make_env``), an ``EnvSpec``, a function returning a new env (used
    as it is: the way to evaluate on an env gymnasium cannot rebuild), or an env: then the
    env gymnasium's ``make`` would rebuild from its spec, wrappers included. An env built
    without ``gymnasium.make`` (no spec) or with a wrapper gymnasium cannot rebuild gets one
    sentence saying to pass a function instead. Introduced in `05_greedy_evaluation.ipynb`.
    """
    if isinstance(env, str):
        make_env(env).close()  # an unknown id fails now, with make_env's sentence
        return lambda: make_env(env)
    if isinstance(env, gym.Env):
        name = type(env.unwrapped).__name__
        if env.spec is None:
            raise DQNHelpersError(
                f"cannot build fresh {purpose} envs from this {name}: it was built without gymnasium.make, so it has "
                f"no spec; pass a function that returns a new env instead (e.g. eval_env=lambda: {name}()), or build "
                "it with dqn_helpers.make_env.")
        spec = env.spec
    elif isinstance(env, gym.envs.registration.EnvSpec):
        spec, name = env, env.id
    elif callable(env):
        def build():
            made = env()
            if not isinstance(made, gym.Env):
                raise DQNHelpersError(f"the {purpose} env function must return a gymnasium env, it returned {type(made).__name__}.")
            return check_dqn_env(made)
        return build
    else:
        raise DQNHelpersError(
            f"the {purpose} env must be an env id such as 'CartPole-v1', a gymnasium env, an EnvSpec or a function "
            f"returning an env, got {type(env).__name__}.")
    try:
        gym.make(spec).close()
    except Exception as exc:  # gymnasium raises ValueError, TypeError, its own errors
        raise DQNHelpersError(
            f"cannot rebuild {spec.id} from its spec for {purpose} ({_first_line(exc)}); pass a function that returns "
            f"a new env, wrappers included, instead (e.g. eval_env=lambda: MyWrapper(gym.make('{spec.id}'))).") from None
    return lambda: gym.make(spec)


def obs_dim_and_actions(env: gym.Env) -> tuple[int, int]:
    """Size of the observation vector and number of actions of a checked env."""
    return int(np.prod(env.observation_space.shape)), int(env.action_space.n)
