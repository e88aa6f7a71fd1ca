"""A learner's wrong arguments: every public function and command-line flag answers in one sentence.

Each row is a call with a wrong type, an out-of-range value, or an empty or huge input. It must
raise ``DQNHelpersError`` (a ``ValueError``) whose message is one line naming the argument,
or, for the command line, exit with code 2 and one error line, never a traceback.
"""
import math
import re

import gymnasium as gym
import numpy as np
import pytest

import dqn_helpers as dh
from dqn_helpers.cli import main
from dqn_helpers.errors import DQNHelpersError
from dqn_helpers.plotting import (animate_frames, plot_epsilon_schedules, plot_learning_curve, plot_q_table,
                                  plot_stability, rolling_mean, save_gif)

TINY = dh.DQNConfig(hidden_sizes=(8,), total_steps=200, learning_starts=50, train_freq=50, gradient_steps=1,
                    batch_size=16, eval_every=0)


@pytest.fixture(scope="module")
def agent():
    return dh.DQNAgent(4, 2, TINY)


@pytest.fixture(scope="module")
def buffer():
    replay = dh.ReplayBuffer(100, (4,), np.random.default_rng(0))
    for i in range(20):
        replay.add(np.full(4, i, np.float32), i % 2, 1.0, np.full(4, i + 1, np.float32), False)
    return replay


def good_batch(n=16):
    rng = np.random.default_rng(0)
    return {"obs": rng.normal(size=(n, 4)).astype(np.float32), "actions": rng.integers(0, 2, n),
            "rewards": np.ones(n, np.float32), "next_obs": rng.normal(size=(n, 4)).astype(np.float32),
            "terminated": np.zeros(n, np.float32)}


def changed_batch(**changes):
    return {**good_batch(), **changes}


# (case id, call taking the fixtures (agent, buffer), pattern the one-sentence message must match)
PYTHON_CASES = [
    # DQNConfig: wrong types, out of range, empty, huge
    ("config gamma above 1", lambda a, b: dh.DQNConfig(gamma=1.5), r"DQNConfig\.gamma"),
    ("config gamma nan", lambda a, b: dh.DQNConfig(gamma=math.nan), r"DQNConfig\.gamma"),
    ("config gamma a string", lambda a, b: dh.DQNConfig(gamma="0.99"), r"DQNConfig\.gamma"),
    ("config batch_size a float", lambda a, b: dh.DQNConfig(batch_size=64.0), r"DQNConfig\.batch_size"),
    ("config batch_size a bool", lambda a, b: dh.DQNConfig(batch_size=True), r"DQNConfig\.batch_size"),
    ("config total_steps 0", lambda a, b: dh.DQNConfig(total_steps=0), r"DQNConfig\.total_steps"),
    ("config hidden_sizes empty", lambda a, b: dh.DQNConfig(hidden_sizes=()), r"DQNConfig\.hidden_sizes"),
    ("config hidden_sizes an int", lambda a, b: dh.DQNConfig(hidden_sizes=64), r"DQNConfig\.hidden_sizes"),
    ("config hidden_sizes a string", lambda a, b: dh.DQNConfig(hidden_sizes="64"), r"DQNConfig\.hidden_sizes"),
    ("config hidden_sizes None", lambda a, b: dh.DQNConfig(hidden_sizes=None), r"DQNConfig\.hidden_sizes"),
    ("config learning_rate 0", lambda a, b: dh.DQNConfig(learning_rate=0.0), r"DQNConfig\.learning_rate"),
    ("config learning_rate inf", lambda a, b: dh.DQNConfig(learning_rate=math.inf), r"DQNConfig\.learning_rate"),
    ("config max_grad_norm negative", lambda a, b: dh.DQNConfig(max_grad_norm=-1.0), r"DQNConfig\.max_grad_norm"),
    ("config max_grad_norm nan", lambda a, b: dh.DQNConfig(max_grad_norm=math.nan), r"DQNConfig\.max_grad_norm"),
    ("config epsilon grows", lambda a, b: dh.DQNConfig(epsilon_start=0.1, epsilon_end=0.5), r"DQNConfig\.epsilon_end"),
    ("config schedule unknown", lambda a, b: dh.DQNConfig(epsilon_schedule="cosine"), r"DQNConfig\.epsilon_schedule"),
    ("config loss unknown", lambda a, b: dh.DQNConfig(loss="l1"), r"DQNConfig\.loss"),
    ("config batch above buffer", lambda a, b: dh.DQNConfig(batch_size=128, buffer_size=100), r"DQNConfig\.batch_size"),
    ("config learning_starts below batch", lambda a, b: dh.DQNConfig(learning_starts=0), r"DQNConfig\.learning_starts"),
    ("config double not a bool", lambda a, b: dh.DQNConfig(double="yes"), r"DQNConfig\.double"),
    ("config solve_threshold a string", lambda a, b: dh.DQNConfig(solve_threshold="high"), r"DQNConfig\.solve_threshold"),
    ("config from_dict unknown key", lambda a, b: dh.DQNConfig.from_dict({"gama": 0.9}), r"unknown DQNConfig field"),
    ("config from_dict not a dict", lambda a, b: dh.DQNConfig.from_dict([("gamma", 0.9)]), r"DQNConfig.*dict"),
    # build_q_network
    ("network obs_dim 0", lambda a, b: dh.build_q_network(0, 2), r"obs_dim"),
    ("network n_actions a float", lambda a, b: dh.build_q_network(4, 2.5), r"n_actions"),
    ("network hidden_sizes empty", lambda a, b: dh.build_q_network(4, 2, ()), r"hidden_sizes"),
    ("network hidden size negative", lambda a, b: dh.build_q_network(4, 2, (64, -1)), r"hidden_sizes"),
    # DQNAgent
    ("agent config a dict", lambda a, b: dh.DQNAgent(4, 2, {"gamma": 0.9}), r"config must be a DQNConfig"),
    ("agent n_actions 0", lambda a, b: dh.DQNAgent(4, 0, TINY), r"n_actions"),
    ("act obs of the wrong size", lambda a, b: a.act(np.zeros(3)), r"obs must have shape \(4,\)"),
    ("act obs as reset's tuple", lambda a, b: a.act((np.zeros(4), {})), r"obs, info = env.reset\(\)"),
    ("act obs empty", lambda a, b: a.act([]), r"obs must have shape"),
    ("act epsilon above 1", lambda a, b: a.act(np.zeros(4), epsilon=1.5), r"epsilon must be a number in \[0, 1\]"),
    ("act epsilon a string", lambda a, b: a.act(np.zeros(4), epsilon="0.1"), r"epsilon must be a number"),
    ("q_values 3-d obs", lambda a, b: a.q_values(np.zeros((2, 2, 4))), r"obs must have shape"),
    ("train_on_batch not a dict", lambda a, b: a.train_on_batch([1, 2, 3]), r"batch must be a dict"),
    ("train_on_batch missing key", lambda a, b: a.train_on_batch({"obs": np.zeros((4, 4))}), r"missing \['actions'"),
    ("train_on_batch obs size", lambda a, b: a.train_on_batch(changed_batch(obs=np.zeros((16, 3)))), r"batch\['obs'\]"),
    ("train_on_batch action out of range", lambda a, b: a.train_on_batch(changed_batch(actions=np.full(16, 2))), r"batch\['actions'\].*0\.\.1"),
    ("train_on_batch float actions", lambda a, b: a.train_on_batch(changed_batch(actions=np.zeros(16))), r"batch\['actions'\]"),
    ("train_on_batch rewards short", lambda a, b: a.train_on_batch(changed_batch(rewards=np.ones(3))), r"batch\['rewards'\]"),
    ("train_on_batch empty batch", lambda a, b: a.train_on_batch(changed_batch(obs=np.zeros((0, 4)))), r"batch\['obs'\]"),
    ("td_targets shapes", lambda a, b: dh.td_targets(np.ones(3), np.ones((4, 2)), np.zeros(3), 0.9), r"td_targets needs.*\(batch, n_actions\)"),
    ("td_targets 1-d q", lambda a, b: dh.td_targets(np.ones(3), np.ones(3), np.zeros(3), 0.9), r"next_q_target of shape"),
    ("double targets shapes", lambda a, b: dh.double_td_targets(np.ones(3), np.ones((3, 2)), np.ones((2, 2)), np.zeros(3), 0.9), r"double_td_targets needs"),
    ("update_target tau 0", lambda a, b: a.update_target(tau=0.0), r"tau must be a number in \(0, 1\]"),
    ("update_target tau 2", lambda a, b: a.update_target(tau=2), r"tau"),
    # ReplayBuffer
    ("buffer capacity 0", lambda a, b: dh.ReplayBuffer(0, (4,)), r"capacity"),
    ("buffer capacity a float", lambda a, b: dh.ReplayBuffer(10.5, (4,)), r"capacity"),
    ("buffer capacity huge", lambda a, b: dh.ReplayBuffer(10**20, (4,)), r"capacity"),
    ("buffer obs_shape a string", lambda a, b: dh.ReplayBuffer(10, "4"), r"obs_shape"),
    ("buffer obs_shape zero", lambda a, b: dh.ReplayBuffer(10, (0,)), r"obs_shape"),
    ("buffer rng legacy", lambda a, b: dh.ReplayBuffer(10, (4,), rng=np.random.RandomState(0)), r"rng must be a numpy.random.Generator"),
    ("buffer add wrong shape", lambda a, b: b.add(np.zeros(3), 0, 1.0, np.zeros(4), False), r"obs and next_obs must have shape \(4,\)"),
    ("buffer sample more than held", lambda a, b: b.sample(64), r"cannot sample a batch of 64.*learning_starts"),
    ("buffer sample batch 0", lambda a, b: b.sample(0), r"batch_size"),
    ("buffer sample n_batches 0", lambda a, b: b.sample(4, n_batches=0), r"n_batches"),
    ("buffer sample n_batches a bool", lambda a, b: b.sample(4, n_batches=True), r"n_batches"),
    # schedules
    ("linear epsilon grows", lambda a, b: dh.linear_epsilon(5, start=0.1, end=0.5), r"epsilon must satisfy"),
    ("linear decay_steps 0", lambda a, b: dh.linear_epsilon(5, decay_steps=0), r"decay_steps"),
    ("exponential end 0", lambda a, b: dh.exponential_epsilon(5, end=0.0), r"end > 0"),
    # envs
    ("make_env unknown id", lambda a, b: dh.make_env("CartPol-v1"), r"Unknown environment id 'CartPol-v1'"),
    ("make_env continuous actions", lambda a, b: dh.make_env("Pendulum-v1"), r"Pendulum-v1 has the action space Box"),
    ("make_env grid world", lambda a, b: dh.make_env("FrozenLake-v1"), r"observation space Discrete"),
    ("make_env an int", lambda a, b: dh.make_env(1), r"env_id must be a gymnasium env id"),
    # evaluate
    ("evaluate 0 episodes", lambda a, b: dh.evaluate(a, "CartPole-v1", 0), r"n_episodes"),
    ("evaluate 1.5 episodes", lambda a, b: dh.evaluate(a, "CartPole-v1", 1.5), r"n_episodes"),
    ("evaluate negative seed", lambda a, b: dh.evaluate(a, "CartPole-v1", 2, seed=-1), r"seed"),
    ("evaluate policy None", lambda a, b: dh.evaluate(None, "CartPole-v1", 2), r"policy must be a DQNAgent"),
    ("evaluate env an int", lambda a, b: dh.evaluate(a, 3, 2), r"evaluation env must be an env id"),
    ("evaluate env unknown id", lambda a, b: dh.evaluate(a, "CartPol-v1", 2), r"Unknown environment id"),
    ("evaluate factory returns junk", lambda a, b: dh.evaluate(a, lambda: "CartPole-v1", 2), r"must return a gymnasium env"),
    ("evaluate policy returns a scalar", lambda a, b: dh.evaluate(lambda obs: 0, "CartPole-v1", 2), r"one action per observation"),
    # train
    ("train env an int", lambda a, b: dh.train(3, TINY, progress=False), r"expected a gymnasium env"),
    ("train config a dict", lambda a, b: dh.train("CartPole-v1", {"gamma": 0.9}), r"config must be a DQNConfig"),
    ("train seed negative", lambda a, b: dh.train("CartPole-v1", TINY, seed=-1, progress=False), r"seed must be a non-negative integer"),
    ("train seed a float", lambda a, b: dh.train("CartPole-v1", TINY, seed=1.5, progress=False), r"seed must be a non-negative integer"),
    ("train progress a string", lambda a, b: dh.train("CartPole-v1", TINY, progress="no"), r"progress must be True or False"),
    ("train eval_env an int", lambda a, b: dh.train("CartPole-v1", dh.DQNConfig(**{**TINY.to_dict(), "eval_every": 100}), progress=False, eval_env=5), r"evaluation env must be"),
    # tabular
    ("q-learning on CartPole", lambda a, b: dh.train_q_learning("CartPole-v1", 5), r"Q-table needs Discrete observations"),
    ("q-learning 0 episodes", lambda a, b: dh.train_q_learning("FrozenLake-v1", 0), r"n_episodes"),
    ("q-learning alpha 0", lambda a, b: dh.train_q_learning("FrozenLake-v1", 5, alpha=0), r"alpha must be a number in \(0, 1\]"),
    ("q-learning gamma 2", lambda a, b: dh.train_q_learning("FrozenLake-v1", 5, gamma=2), r"gamma"),
    ("q-learning unknown id", lambda a, b: dh.train_q_learning("FrozenLak-v1", 5), r"Unknown environment id"),
    # seeding
    ("seed negative", lambda a, b: dh.seed_everything(-1), r"seed must be a non-negative integer"),
    ("seed a string", lambda a, b: dh.seed_everything("0"), r"seed must be a non-negative integer"),
    ("seed a bool", lambda a, b: dh.seed_everything(True), r"seed must be a non-negative integer"),
    ("deterministic a string", lambda a, b: dh.seed_everything(0, deterministic="yes"), r"deterministic must be True or False"),
    # persistence
    ("save something else", lambda a, b: dh.save_agent("agent", "/tmp/x"), r"save_agent saves a DQNAgent"),
    ("save env_id an int", lambda a, b: dh.save_agent(a, "/tmp/dqn-bad-input-save", env_id=1), r"env_id must be"),
    ("load a missing folder", lambda a, b: dh.load_agent("/nonexistent/run"), r"no saved agent at /nonexistent/run"),
    ("load a file", lambda a, b: dh.load_agent(__file__), r"no saved agent"),
    # plotting
    ("plot a dict as history", lambda a, b: plot_learning_curve({"episode_returns": []}), r"history must be the History"),
    ("plot window 0", lambda a, b: rolling_mean([1, 2, 3], 0), r"window must be a positive integer"),
    ("plot schedules a list", lambda a, b: plot_epsilon_schedules([dh.linear_epsilon], 100), r"schedules must be a dict"),
    ("plot schedules steps 0", lambda a, b: plot_epsilon_schedules({"l": dh.linear_epsilon}, 0), r"steps must be a positive"),
    ("plot q-table of CartPole", lambda a, b: plot_q_table(np.zeros((16, 4)), gym.make("CartPole-v1")), r"FrozenLake and CliffWalking"),
    ("plot q-table wrong shape", lambda a, b: plot_q_table(np.zeros((10, 4)), gym.make("FrozenLake-v1")), r"q_table must have shape \(16, 4\)"),
    ("plot stability gamma 1", lambda a, b: plot_stability(dh.History(), 1.0), r"gamma must be a number in \[0, 1\)"),
    ("animate no frames", lambda a, b: animate_frames([]), r"frames is empty"),
    ("gif into a missing folder", lambda a, b: save_gif([np.zeros((4, 4, 3), np.uint8)], "/nonexistent/x.gif"), r"folder /nonexistent does not exist"),
]


@pytest.mark.parametrize("call, pattern", [case[1:] for case in PYTHON_CASES], ids=[case[0] for case in PYTHON_CASES])
def test_a_wrong_argument_gets_one_sentence_naming_it(call, pattern, agent, buffer):
    with pytest.raises(DQNHelpersError) as caught:
        call(agent, buffer)
    message = str(caught.value)
    assert re.search(pattern, message), message
    assert "\n" not in message and message.endswith("."), message


CLI_CASES = [
    (["train", "--total-steps", "abc"], "invalid int value: 'abc'"),
    (["train", "--total-steps", "1e5"], "invalid int value"),
    (["train", "--total-steps", "0"], "DQNConfig.total_steps"),
    (["train", "--hidden-sizes"], "expected at least one argument"),
    (["train", "--hidden-sizes", "0"], "DQNConfig.hidden_sizes"),
    (["train", "--lr", "2"], "DQNConfig.learning_rate"),
    (["train", "--gamma", "nan"], "DQNConfig.gamma"),
    (["train", "--max-grad-norm", "0"], "DQNConfig.max_grad_norm"),
    (["train", "--loss", "l1"], "DQNConfig.loss"),
    (["train", "--epsilon-schedule", "cosine"], "DQNConfig.epsilon_schedule"),
    (["train", "--learning-starts", "5"], "DQNConfig.learning_starts"),
    (["train", "--solve-threshold", "high"], "invalid number or 'none' value"),
    (["train", "--double", "yes"], "unrecognized arguments: yes"),
    (["train", "--seed", "-1"], "--seed must be a non-negative integer"),
    (["train", "--env", "CartPol-v1"], "Unknown environment id 'CartPol-v1'"),
    (["train", "--env", "Pendulum-v1"], "Pendulum-v1 has the action space Box"),
    (["train", "--env", "FrozenLake-v1"], "observation space Discrete"),
    (["train", "--gradient-stepz", "4"], "unrecognized arguments"),
    (["train"], "the following arguments are required: --out"),
    (["evaluate", "/nonexistent/run"], "no saved agent at /nonexistent/run"),
    (["evaluate", "RUN", "--episodes", "0"], "--episodes must be at least 1"),
    (["evaluate"], "the following arguments are required: run_dir"),
    (["fly"], "invalid choice: 'fly'"),
]


@pytest.mark.parametrize("argv, expected", CLI_CASES, ids=[" ".join(case[0]) for case in CLI_CASES])
def test_a_wrong_flag_exits_2_with_one_error_line_and_no_traceback(argv, expected, tmp_path, capsys):
    argv = [arg.replace("RUN", str(tmp_path / "run")) for arg in argv]
    if argv[0] == "train" and "--out" not in argv and argv != ["train"]:
        argv += ["--out", str(tmp_path / "out"), "--no-progress"]
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    err = capsys.readouterr().err
    error_lines = [line for line in err.splitlines() if "error:" in line]
    assert code == 2, err
    assert len(error_lines) == 1 and expected in error_lines[0], err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()  # nothing half-written

