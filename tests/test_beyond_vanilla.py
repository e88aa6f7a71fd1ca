"""Double DQN, the dueling head and the ablation switches of notebook 06."""
import numpy as np
import pytest
import tensorflow as tf

from dqn_helpers import DQNAgent, DQNConfig, ReplayBuffer, build_q_network, double_td_targets, load_agent, save_agent, td_targets
from dqn_helpers.cli import build_parser
from dqn_helpers.networks import numpy_forward


def test_double_dqn_target_by_hand():
    rewards = np.array([1.0, 1.0, 0.5])
    next_q_online = np.array([[1.0, 3.0], [2.0, 0.0], [9.0, 1.0]])  # picks actions 1, 0, 0
    next_q_target = np.array([[4.0, 2.0], [5.0, 7.0], [6.0, 8.0]])  # values them 2, 5, 6
    terminated = np.array([0.0, 0.0, 1.0])
    targets = np.asarray(double_td_targets(rewards, next_q_online, next_q_target, terminated, gamma=0.5))
    np.testing.assert_allclose(targets, [1.0 + 0.5 * 2.0, 1.0 + 0.5 * 5.0, 0.5], rtol=1e-6)
    # Plain DQN would take the target network's own max: 4 and 7, both larger.
    plain = np.asarray(td_targets(rewards, next_q_target, terminated, gamma=0.5))
    np.testing.assert_allclose(plain, [3.0, 4.5, 0.5], rtol=1e-6)


def test_dueling_head_shape_and_mean_advantage_identity():
    model = build_q_network(4, 3, hidden_sizes=(16, 16), dueling=True)
    obs = np.random.default_rng(0).normal(size=(7, 4)).astype(np.float32)
    q = model(obs).numpy()
    assert q.shape == (7, 3)
    features = obs
    weights = model.get_weights()
    for i in range(2):
        features = np.maximum(features @ weights[2 * i] + weights[2 * i + 1], 0.0)
    value = features @ weights[4] + weights[5]
    # The advantages are centred, so the mean Q-value over actions is V(s).
    np.testing.assert_allclose(q.mean(axis=1, keepdims=True), value, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(numpy_forward(weights, obs, dueling=True), q, rtol=1e-5, atol=1e-6)


def test_dueling_agent_saves_and_loads(tmp_path):
    agent = DQNAgent(4, 2, DQNConfig(hidden_sizes=(16, 16), dueling=True, double=True))
    loaded, _ = load_agent(save_agent(agent, tmp_path / "run", env_id="CartPole-v1"))
    assert loaded.config.dueling and loaded.config.double
    obs = np.random.default_rng(1).normal(size=(50, 4)).astype(np.float32)
    np.testing.assert_array_equal(loaded.greedy_actions(obs), agent.greedy_actions(obs))


def one_batch():
    rng = np.random.default_rng(0)
    buffer = ReplayBuffer(64, (4,), rng)
    for _ in range(64):
        buffer.add(rng.normal(size=4), rng.integers(2), 1.0, rng.normal(size=4), False)
    return buffer.sample(64)


def agent_with(target_zeroed, **overrides):
    tf.keras.utils.set_random_seed(0)
    agent = DQNAgent(4, 2, DQNConfig(hidden_sizes=(16, 16), **overrides))
    if target_zeroed:
        agent.target_network.set_weights([np.zeros_like(w) for w in agent.target_network.get_weights()])
    return agent


def test_without_a_target_network_targets_come_from_the_q_network():
    batch = one_batch()
    no_target = agent_with(True, target_network=False).train_on_batch(batch)  # its target net is ignored
    fresh_target = agent_with(False).train_on_batch(batch)  # target == online at the start
    zeroed_target = agent_with(True).train_on_batch(batch)
    assert no_target == pytest.approx(fresh_target, rel=1e-6)
    assert zeroed_target != pytest.approx(fresh_target, rel=1e-3)


def test_command_line_flags():
    args = build_parser().parse_args(["train", "--out", "x", "--double", "--dueling", "--no-target-network"])
    assert args.double is True and args.dueling is True and args.target_network is False
    assert build_parser().parse_args(["train", "--out", "x"]).double is None  # the config's default applies
    with pytest.raises(ValueError, match="DQNConfig.double must be True or False"):
        DQNConfig(double="yes")
