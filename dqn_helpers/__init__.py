"""dqn_helpers: the small package behind the course notebooks.

Each public function's docstring names the notebook that introduces it. The modules are
flat and small, one idea each:

- ``tabular``: Q-learning with a table (notebook 01)
- ``networks``: the Keras Q-network (notebook 02)
- ``replay_buffer``: the NumPy ring buffer (notebook 03)
- ``schedules``, ``config``, ``agent``, ``training``: the DQN training loop (notebook 04)
- ``evaluation``, ``persistence``, ``plotting``: greedy evaluation, saving, figures (notebook 05)
- ``envs``, ``seeding``: making checked environments and seeding everything (all notebooks)
- ``progress``: progress bars that end green when a run stops because it solved the task
"""
import os

# Before TensorFlow is imported: silence its C++ log lines (level 3: even the harmless
# "NodeDef mentions attribute" line that model.predict logs under deterministic ops), and
# turn off oneDNN's reordered kernels, which announce themselves on stderr and make
# results depend on the CPU.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import tensorflow as _tf  # noqa: E402
from threadpoolctl import threadpool_limits as _threadpool_limits  # noqa: E402

# One thread for TensorFlow's ops and for NumPy's BLAS. The course's networks are small:
# on a 2-core laptop, thread pools cost far more than they save (measured on a busy 2-core
# machine: a CartPole run took 18 s instead of 28 s with TensorFlow's default threads, and a
# NumPy forward pass of 20 observations 0.08 ms instead of 3.2 ms with OpenBLAS's threads).
# Set DQN_HELPERS_THREADS=0 before importing to keep the libraries' defaults.
if os.environ.get("DQN_HELPERS_THREADS", "1") != "0":
    _threadpool_limits(limits=1, user_api="blas")
    try:
        _tf.config.threading.set_intra_op_parallelism_threads(1)
        _tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow already ran an op in this process; leave it as it is
        pass

from .agent import DQNAgent, double_td_targets, td_targets  # noqa: E402
from .config import DQNConfig  # noqa: E402
from .envs import make_env  # noqa: E402
from .evaluation import EvalResult, evaluate  # noqa: E402
from .networks import build_q_network  # noqa: E402
from .persistence import load_agent, save_agent  # noqa: E402
from .replay_buffer import ReplayBuffer  # noqa: E402
from .schedules import exponential_epsilon, linear_epsilon  # noqa: E402
from .progress import progress_bar  # noqa: E402
from .seeding import seed_everything  # noqa: E402
from .tabular import (  # noqa: E402
    QLearningResult,
    epsilon_greedy,
    expected_sarsa_update,
    greedy_action,
    greedy_rollout,
    q_learning_update,
    train_q_learning,
)
from .training import History, train  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "DQNAgent",
    "DQNConfig",
    "EvalResult",
    "History",
    "QLearningResult",
    "ReplayBuffer",
    "build_q_network",
    "double_td_targets",
    "epsilon_greedy",
    "evaluate",
    "expected_sarsa_update",
    "exponential_epsilon",
    "greedy_action",
    "greedy_rollout",
    "linear_epsilon",
    "load_agent",
    "make_env",
    "progress_bar",
    "q_learning_update",
    "save_agent",
    "seed_everything",
    "td_targets",
    "train",
    "train_q_learning",
]
