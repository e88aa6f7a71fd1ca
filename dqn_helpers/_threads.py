"""One BLAS thread while the agent acts: scoped, so the rest of a learner's NumPy work keeps its threads.

Acting multiplies a handful of observations by small weight matrices. OpenBLAS's thread pool
costs far more than it saves on such products (measured on a busy 2-core machine: a NumPy
forward pass of 20 observations took 3.2 ms with OpenBLAS's threads, 0.08 ms with one), so
``train``, ``evaluate`` and ``DQNAgent.q_values`` run inside ``one_blas_thread()``, which lowers
the limit on entry and restores it on exit. Nothing changes outside those calls. Setting the
environment variable ``DQN_HELPERS_THREADS=0`` keeps the libraries' own settings everywhere.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

_blas = None  # the loaded BLAS libraries' controllers, found once (that search is slow)
_depth = 0  # nested scopes (evaluate inside train) pay for the switch only once


def threads_limited() -> bool:
    """False when ``DQN_HELPERS_THREADS=0`` asks to leave every thread pool as the libraries set it."""
    return os.environ.get("DQN_HELPERS_THREADS", "1") != "0"


def limit_blas() -> list | None:
    """Set NumPy's BLAS to one thread; returns what ``restore_blas`` needs to undo it (~4 µs)."""
    global _blas, _depth
    _depth += 1
    if _depth > 1 or not threads_limited():
        return None
    if _blas is None:
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController().select(user_api="blas").lib_controllers
    before = [(lib, lib.num_threads) for lib in _blas]
    for lib, threads in before:
        if threads != 1:
            lib.set_num_threads(1)
    return before


def restore_blas(before: list | None) -> None:
    """Undo ``limit_blas``: each BLAS library gets its thread count back."""
    global _depth
    _depth -= 1
    for lib, threads in before or ():
        if threads != 1:
            lib.set_num_threads(threads)


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit NumPy's BLAS to one thread for the duration of the ``with`` block."""
    before = limit_blas()
    try:
        yield
    finally:
        restore_blas(before)
