"""The one exception type the package raises for a user's mistake."""


class DQNHelpersError(ValueError):
    """A problem with what the user asked for: a bad env id, value, or file.

    The message is one plain sentence saying what is wrong and what to do; the command
    line prints it without a traceback. It subclasses ``ValueError`` so that code that
    already catches ``ValueError`` keeps working.
    """
