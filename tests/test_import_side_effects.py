"""What `import dqn_helpers` does to the rest of a learner's process: nothing it does not need.

Each check runs in a fresh Python process, since what a module import does is only visible
the first time. The package loads TensorFlow only with the modules that need it, holds NumPy's
BLAS to one thread only while an agent acts, and switches TensorFlow's deterministic ops on in
seed_everything and train, not on import.
"""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}
ENV.pop("DQN_HELPERS_THREADS", None)


def run(code, prelude=""):
    """Run ``code`` in a fresh interpreter; it prints one JSON line, returned as a dict."""
    done = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True, text=True,
                          env=ENV, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


BLAS = """
from threadpoolctl import threadpool_info
def blas_threads():
    return sorted(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")
"""


def test_import_loads_no_tensorflow_and_leaves_blas_threads_alone():
    out = run("""
    import json, sys
    import numpy
    before = blas_threads()
    import dqn_helpers
    print(json.dumps({"tf": "tensorflow" in sys.modules, "keras": "keras" in sys.modules,
                      "before": before, "after": blas_threads()}))
    """, prelude=BLAS)
    assert not out["tf"] and not out["keras"]
    assert out["after"] == out["before"]


def test_the_command_line_help_and_the_tabular_path_need_no_tensorflow():
    out = run("""
    import json, sys
    import dqn_helpers
    from dqn_helpers.cli import build_parser
    build_parser().format_help()
    help_tf = "tensorflow" in sys.modules
    rng = dqn_helpers.seed_everything(0)
    import gymnasium as gym
    result = dqn_helpers.train_q_learning(gym.make("FrozenLake-v1"), n_episodes=20, seed=0, progress=False)
    dqn_helpers.train_q_learning("FrozenLake-v1", n_episodes=5)
    print(json.dumps({"help_tf": help_tf, "tabular_tf": "tensorflow" in sys.modules}))
    """)
    assert out == {"help_tf": False, "tabular_tf": False}


def test_determinism_is_switched_on_by_seeding_or_training_not_by_import():
    out = run("""
    import json
    import dqn_helpers
    import tensorflow as tf
    from tensorflow.python.framework.config import is_op_determinism_enabled  # no public reader
    after_import = is_op_determinism_enabled()
    dqn_helpers.seed_everything(0, deterministic=False)
    after_opt_out = is_op_determinism_enabled()
    dqn_helpers.seed_everything(0)
    print(json.dumps({"import": after_import, "opt_out": after_opt_out, "seeded": is_op_determinism_enabled()}))
    """)
    assert out == {"import": False, "opt_out": False, "seeded": True}


def test_a_seed_given_before_tensorflow_loads_still_seeds_the_first_network():
    code = """
    import json, sys
    {first}
    import dqn_helpers
    dqn_helpers.seed_everything(3)
    loaded_before = "tensorflow" in sys.modules
    net = dqn_helpers.build_q_network(4, 2, (8,))
    print(json.dumps({{"loaded_before": loaded_before, "w": float(sum(abs(w).sum() for w in net.get_weights()))}}))
    """
    late = run(code.format(first=""))
    early = run(code.format(first="import tensorflow"))
    assert not late["loaded_before"] and early["loaded_before"]
    assert late["w"] == early["w"]


def test_tensorflow_loaded_by_the_package_uses_one_thread_unless_asked_not_to():
    code = """
    import json
    import dqn_helpers
    dqn_helpers.build_q_network(4, 2, (8,))
    import tensorflow as tf
    print(json.dumps({"intra": tf.config.threading.get_intra_op_parallelism_threads()}))
    """
    assert run(code) == {"intra": 1}
    ENV["DQN_HELPERS_THREADS"] = "0"
    try:
        assert run(code) == {"intra": 0}  # 0: TensorFlow picks, as without the package
    finally:
        ENV.pop("DQN_HELPERS_THREADS")


def test_blas_is_held_to_one_thread_only_while_the_agent_acts(monkeypatch):
    from threadpoolctl import threadpool_info

    import dqn_helpers
    from dqn_helpers import agent as agent_module

    def blas_threads():  # NumPy's own BLAS, the one acting uses (SciPy, loaded by other tests, brings its own)
        return sorted(p["num_threads"] for p in threadpool_info()
                      if p["user_api"] == "blas" and "numpy" in p["filepath"].replace("\\", "/").split("/site-packages/")[-1])

    seen = []
    real_forward = agent_module.numpy_forward

    def spy(*args, **kwargs):
        seen.append(blas_threads())
        return real_forward(*args, **kwargs)

    monkeypatch.setattr(agent_module, "numpy_forward", spy)
    agent = dqn_helpers.DQNAgent(4, 2, dqn_helpers.DQNConfig(hidden_sizes=(8,)))
    before = blas_threads()
    agent.act(np.zeros(4, np.float32))
    dqn_helpers.evaluate(agent, "CartPole-v1", n_episodes=2)
    if max(before) == 1:
        pytest.skip("this machine's BLAS runs one thread anyway: nothing to scope")
    assert seen and all(threads == [1] * len(threads) for threads in seen)
    assert blas_threads() == before
