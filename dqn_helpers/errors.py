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
    """


def first_line(exc: BaseException, limit: int = 160) -> str:
    """The first line of an exception's message (at most ``limit`` characters), to quote in a sentence."""
    text = str(exc).strip().splitlines()
    return (text[0][:limit] if text else type(exc).__name__).rstrip(".")
