"""TensorFlow, loaded the course's way by the modules that need it (never by ``import dqn_helpers``).

``networks``, ``agent`` and ``persistence`` import this module before Keras. The first time it
runs in a process, and only if TensorFlow has not run an op yet, it gives TensorFlow one thread
for its ops: the course's networks are small, and on a 2-core laptop TensorFlow's thread pools
cost more than they save (measured on a busy 2-core machine: a CartPole run took 18 s with one
thread, 28 s with TensorFlow's defaults). TensorFlow fixes its pools when it runs its first op,
so this cannot be scoped to a call; ``DQN_HELPERS_THREADS=0`` keeps TensorFlow's defaults.
A seed given earlier to ``seed_everything`` is applied to TensorFlow here, as soon as it loads,
and the import leaves Python's random stream where it was.
"""
import random

from . import _quiet_tensorflow  # noqa: F401  (sets TF's log level before TensorFlow loads)
from ._threads import threads_limited

# Importing TensorFlow draws from Python's `random`, which Keras's weight initializers use
# too: keep the stream a learner seeded (seed_everything) as it was, so that a first network
# built after the package loads TensorFlow equals one built with TensorFlow imported first.
_state = random.getstate()
try:
    import tensorflow as tf
except ModuleNotFoundError as exc:
    if exc.name != "tensorflow":
        raise
    from .errors import DQNHelpersError

    raise DQNHelpersError(
        "Q-networks and agents need TensorFlow, which is not installed here; install it with "
        "pip install 'dqn_helpers[tensorflow]' (or pip install tensorflow), then restart the kernel.") from None
finally:
    random.setstate(_state)

if threads_limited():
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow already ran an op in this process: leave its pools alone
        pass

from .seeding import _apply_pending_tensorflow_seed  # noqa: E402

_apply_pending_tensorflow_seed()
