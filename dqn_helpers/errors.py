"""The one exception type the package raises for a user's mistake."""


class DQNHelpersError(ValueError):
    """A problem with what the user asked for: a bad env id, value, or file.

    The message is one plain sentence saying what is wrong and what to do; the command
    line prints it without a traceback. It subclasses ``ValueError`` so that code that
    already catches ``ValueError`` keeps working.
    """


class TrainingDivergedError(DQNHelpersError):
    """The TD loss or the Q-network's weights stopped being finite numbers (NaN or infinity).

    Raised by ``DQNAgent.train_on_batch`` (and so by ``train``) at the first training call that
    produced them, instead of going on with weights that make every action look the same.
    ``train_population`` raises it with ``seeds`` (the members that diverged) and ``step`` set.
    """

    seeds: list = []
    step: int | None = None

    @classmethod
    def for_seeds(cls, seeds, step, message):
        error = cls(message)
        error.seeds, error.step = list(seeds), step
        return error


def first_line(exc: BaseException, limit: int = 160) -> str:
    """The first line of an exception's message (at most ``limit`` characters), to quote in a sentence."""
    text = str(exc).strip().splitlines()
    return (text[0][:limit] if text else type(exc).__name__).rstrip(".")


def check_integer(name: str, value, minimum: int = 0) -> int:
    """``value`` as an ``int`` if it is an integer (NumPy's too, never a bool) >= ``minimum``; else one sentence."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        kind = {0: "a non-negative integer", 1: "a positive integer"}.get(minimum, f"an integer >= {minimum}")
        raise DQNHelpersError(f"{name} must be {kind}, got {value!r}.")
    return int(value)


def check_number(name: str, value, low: float, high: float, low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a ``float`` if it is a number in the interval (NaN never; inf only if ``high`` is inf)."""
    import math
    import numbers

    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and not math.isnan(value)
    if ok:
        ok = (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
    if not ok:
        left, right = ("(" if low_open else "["), (")" if high_open else "]")
        raise DQNHelpersError(f"{name} must be a number in {left}{low}, {high}{right}, got {value!r}.")
    return float(value)
