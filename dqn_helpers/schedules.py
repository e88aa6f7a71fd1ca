"""Epsilon schedules: how much the agent explores as training goes on."""
import math


def _check(start, end, decay_steps):
    if not 0.0 <= end <= start <= 1.0:
        raise ValueError(f"epsilon must satisfy 0 <= end <= start <= 1, got start={start}, end={end}.")
    if decay_steps <= 0:
        raise ValueError(f"decay_steps must be positive, got {decay_steps}.")


def linear_epsilon(step, start=1.0, end=0.05, decay_steps=10_000):
    """Epsilon falling in a straight line from ``start`` (step 0) to ``end`` (``decay_steps``), then flat.

    Introduced in `04_training_loop.ipynb`.
    """
    _check(start, end, decay_steps)
    fraction = min(max(step, 0) / decay_steps, 1.0)
    return start + fraction * (end - start)


def exponential_epsilon(step, start=1.0, end=0.05, decay_steps=10_000):
    """Epsilon shrinking by a constant factor per step, from ``start`` to exactly ``end`` at ``decay_steps``.

    ``epsilon = start * (end / start) ** (step / decay_steps)``: geometric interpolation,
    so the end point is reached exactly (a plain ``exp(-step / tau)`` never gets there).
    Introduced in `04_training_loop.ipynb`.
    """
    _check(start, end, decay_steps)
    if end <= 0.0:
        raise ValueError("exponential decay needs end > 0 (a product of factors never reaches 0); use linear_epsilon for end=0.")
    fraction = min(max(step, 0) / decay_steps, 1.0)
    return start * math.exp(fraction * math.log(end / start))


SCHEDULES = {"linear": linear_epsilon, "exponential": exponential_epsilon}
