"""Epsilon schedules: how much the agent explores as training goes on."""
import math
import numbers

from .errors import DQNHelpersError


_PLAIN = (int, float)


def _check(step, start, end, decay_steps):
    # train calls a schedule at every env step: plain ints and floats take the quick path.
    if not (type(step) in _PLAIN and type(start) in _PLAIN and type(end) in _PLAIN and type(decay_steps) in _PLAIN):
        for name, value in (("step", step), ("start", start), ("end", end), ("decay_steps", decay_steps)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise DQNHelpersError(f"{name} must be a number, got {value!r}.")
    if step != step or decay_steps != decay_steps:  # NaN
        raise DQNHelpersError(f"step and decay_steps must be numbers, got {step!r} and {decay_steps!r}.")
    if not 0.0 <= end <= start <= 1.0:
        raise DQNHelpersError(f"epsilon must satisfy 0 <= end <= start <= 1, got start={start}, end={end}.")
    if decay_steps <= 0:
        raise DQNHelpersError(f"decay_steps must be positive, got {decay_steps}.")


def linear_epsilon(step: float, start: float = 1.0, end: float = 0.05, decay_steps: float = 10_000) -> float:
    """Epsilon falling in a straight line from ``start`` (step 0) to ``end`` (``decay_steps``), then flat.

    Introduced in `04_training_loop.ipynb`.
    """
    _check(step, start, end, decay_steps)
    fraction = min(max(step, 0) / decay_steps, 1.0)
    return start + fraction * (end - start)


def exponential_epsilon(step: float, start: float = 1.0, end: float = 0.05, decay_steps: float = 10_000) -> float:
    """Epsilon shrinking by a constant factor per step, from ``start`` to exactly ``end`` at ``decay_steps``.

    ``epsilon = start * (end / start) ** (step / decay_steps)``: geometric interpolation,
    so the end point is reached exactly (a plain ``exp(-step / tau)`` never gets there).
    Introduced in `04_training_loop.ipynb`.
    """
    _check(step, start, end, decay_steps)
    if end <= 0.0:
        raise DQNHelpersError("exponential decay needs end > 0 (a product of factors never reaches 0); use linear_epsilon for end=0.")
    fraction = min(max(step, 0) / decay_steps, 1.0)
    return start * math.exp(fraction * math.log(end / start))


SCHEDULES = {"linear": linear_epsilon, "exponential": exponential_epsilon}
