"""Every DQN hyperparameter in one validated, frozen dataclass."""
from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass
from typing import Any

from .errors import DQNHelpersError, check_integer, check_number
from .schedules import SCHEDULES

LOSSES = ("huber", "mse")


@dataclass(frozen=True)
class DQNConfig:
    """Hyperparameters of a DQN run; each field is checked when the config is created.

    A config is frozen: ``config.gamma = 0.9`` raises ``dataclasses.FrozenInstanceError``,
    because an agent compiles its train step from the config it was given, and a change made
    afterwards would take effect in some places and not in others. Make a changed copy
    instead, checked like a new one: ``dataclasses.replace(config, gamma=0.9)``.

    The defaults are the RL Baselines3 Zoo's tuned CartPole-v1 settings (2:1 env steps to
    gradient steps, in bursts of 128 with the target network refreshed between bursts); they
    solve CartPole-v1 in seconds on a laptop CPU (see ``benchmarks/solve_cartpole.py``).
    Introduced in `04_training_loop.ipynb`.
    """

    total_steps: int = 50_000
    """Budget of environment steps; training stops earlier once the env is solved."""
    hidden_sizes: tuple[int, ...] = (256, 256)
    """Units in each hidden ReLU layer of the Q-network (the classic snippet of notebook 02 uses (64, 64))."""
    learning_rate: float = 2.3e-3
    """Adam step size."""
    gamma: float = 0.99
    """Discount factor in the TD target r + gamma * max_a' Q(s', a'; θ⁻)."""
    batch_size: int = 64
    """Transitions per gradient step."""
    buffer_size: int = 50_000
    """Capacity of the replay buffer, in transitions."""
    learning_starts: int = 1_000
    """Env steps of pure exploration before the first gradient step; at least batch_size - 1, so that the buffer holds a batch when learning starts."""
    train_freq: int = 256
    """Env steps between two training calls (collect a chunk of experience, then learn from the buffer)."""
    gradient_steps: int = 128
    """Gradient steps per training call, each on its own freshly sampled batch, all in one compiled call."""
    target_update_interval: int = 256
    """Env steps between two target-network updates (256: a fresh copy after every training call)."""
    tau: float = 1.0
    """Target update weight: 1.0 copies the Q-network (hard update), less blends it in (soft update)."""
    epsilon_start: float = 1.0
    """Exploration rate at step 0."""
    epsilon_end: float = 0.04
    """Exploration rate after the decay, kept until the end."""
    epsilon_decay_steps: int = 8_000
    """Env steps over which epsilon decays from epsilon_start to epsilon_end."""
    epsilon_schedule: str = "linear"
    """Shape of the decay: 'linear' or 'exponential'."""
    loss: str = "huber"
    """TD loss: 'huber' (robust to large TD errors) or 'mse'."""
    max_grad_norm: float = 10.0
    """Gradients are rescaled so their global norm is at most this; math.inf (or any number beyond float32's range) turns clipping off."""
    eval_every: int = 1_000
    """Env steps between two greedy evaluations (0 turns evaluation and early stopping off)."""
    eval_episodes: int = 20
    """Episodes per greedy evaluation."""
    eval_seed: int = 10_000
    """Evaluation episode i is reset with seed eval_seed + i, the same episodes every time."""
    confirm_episodes: int = 100
    """When an evaluation reaches the threshold, this many further fixed-seed episodes must confirm it (mean minus two standard errors) before training stops; 0 stops at once."""
    solve_threshold: float | None = None
    """Mean evaluation return that counts as solved; None takes the env's reward_threshold (475 for CartPole-v1)."""
    double: bool = False
    """Double DQN: the Q-network picks the next action, the target network values it (notebook 06)."""
    dueling: bool = False
    """Dueling head: Q(s, a) = V(s) + A(s, a) - mean_a A(s, a) (notebook 06)."""
    target_network: bool = True
    """False bootstraps from the Q-network itself, as the classic snippet does (an ablation, notebook 06)."""
    truncation_as_termination: bool = False
    """True stores a time-limit truncation as terminated, the classic snippet's mistake (an ablation, notebook 06)."""

    def __post_init__(self) -> None:
        if isinstance(self.hidden_sizes, (str, bytes)) or not hasattr(self.hidden_sizes, "__iter__"):
            _fail("hidden_sizes", self.hidden_sizes, "must be a non-empty list of positive integers such as (64, 64)")
        # Frozen, so the normalisations go through object.__setattr__: a list of sizes becomes a
        # tuple, and NumPy numbers (env.action_space.n, np.float32(...)) become Python ones,
        # which Keras and JSON accept.
        object.__setattr__(self, "hidden_sizes", tuple(int(h) if _is_int(h) else h for h in self.hidden_sizes))
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.type == "int" and _is_int(value):
                object.__setattr__(self, f.name, int(value))
            elif f.type in ("float", "float | None") and _is_real(value):
                object.__setattr__(self, f.name, float(value))
        _integer(self, "total_steps", 1)
        _integer(self, "batch_size", 1)
        _integer(self, "buffer_size", 1)
        _integer(self, "learning_starts", 0)
        _integer(self, "train_freq", 1)
        _integer(self, "gradient_steps", 1)
        _integer(self, "target_update_interval", 1)
        _integer(self, "epsilon_decay_steps", 1)
        _integer(self, "eval_every", 0)
        _integer(self, "eval_episodes", 1)
        _integer(self, "eval_seed", 0)
        _integer(self, "confirm_episodes", 0)
        if not self.hidden_sizes or not all(_is_int(h) and h >= 1 for h in self.hidden_sizes):
            _fail("hidden_sizes", self.hidden_sizes, "must be a non-empty list of positive integers such as (64, 64)")
        _number(self, "learning_rate", 0.0, 1.0, low_open=True)
        _number(self, "gamma", 0.0, 1.0, high_open=True)
        _number(self, "tau", 0.0, 1.0, low_open=True)
        _number(self, "epsilon_start", 0.0, 1.0)
        _number(self, "epsilon_end", 0.0, 1.0)
        _number(self, "max_grad_norm", 0.0, math.inf, low_open=True)
        if self.epsilon_end > self.epsilon_start:
            _fail("epsilon_end", self.epsilon_end, f"must not exceed epsilon_start ({self.epsilon_start}): epsilon decays, it never grows")
        if self.epsilon_schedule not in SCHEDULES:
            _fail("epsilon_schedule", self.epsilon_schedule, f"must be one of {sorted(SCHEDULES)}")
        if self.epsilon_schedule == "exponential" and self.epsilon_end <= 0:
            _fail("epsilon_end", self.epsilon_end, "must be above 0 for the exponential schedule")
        if self.loss not in LOSSES:
            _fail("loss", self.loss, f"must be one of {list(LOSSES)}")
        if self.batch_size > self.buffer_size:
            _fail("batch_size", self.batch_size, f"must not exceed buffer_size ({self.buffer_size}): a batch is drawn from the buffer")
        if self.learning_starts < self.batch_size - 1:
            _fail("learning_starts", self.learning_starts,
                  f"must be at least batch_size - 1 ({self.batch_size - 1}): the first gradient step comes after "
                  "learning_starts + 1 env steps and samples a batch of batch_size from the buffer")
        for name in ("double", "dueling", "target_network", "truncation_as_termination"):
            if not isinstance(getattr(self, name), bool):
                _fail(name, getattr(self, name), "must be True or False")
        if self.solve_threshold is not None and not _is_number(self.solve_threshold):
            _fail("solve_threshold", self.solve_threshold, "must be a number or None")

    def epsilon(self, step: int) -> float:
        """Exploration rate after ``step`` env steps, following this config's schedule."""
        schedule = SCHEDULES[self.epsilon_schedule]
        return schedule(step, self.epsilon_start, self.epsilon_end, self.epsilon_decay_steps)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-ready) of every field."""
        data = dataclasses.asdict(self)
        data["hidden_sizes"] = list(self.hidden_sizes)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DQNConfig:
        """Rebuild a config from ``to_dict`` output; unknown keys are an error."""
        if not isinstance(data, dict):
            raise DQNHelpersError(f"a DQNConfig is rebuilt from a dict of its fields, got {type(data).__name__}.")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise DQNHelpersError(f"unknown DQNConfig field(s) {unknown}; valid fields are {sorted(names)}.")
        return cls(**data)


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_number(value):
    return _is_real(value) and math.isfinite(value)


def _fail(name, value, rule):
    raise DQNHelpersError(f"DQNConfig.{name} {rule}, got {value!r}.")


def _integer(config, name, minimum):
    check_integer(f"DQNConfig.{name}", getattr(config, name), minimum)


def _number(config, name, low, high, low_open=False, high_open=False):
    check_number(f"DQNConfig.{name}", getattr(config, name), low, high, low_open, high_open)


# Field docstrings, read by the command line to describe its flags.
FIELD_HELP = {}


def _collect_field_help():
    import ast
    import inspect

    source = inspect.getsource(DQNConfig)
    body = ast.parse(source).body[0].body
    for node, following in zip(body, body[1:]):
        if isinstance(node, ast.AnnAssign) and isinstance(following, ast.Expr):
            value = getattr(following, "value", None)
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                FIELD_HELP[node.target.id] = value.value


try:
    _collect_field_help()
except (OSError, TypeError):  # source not available (frozen install): flags just lack help
    pass

