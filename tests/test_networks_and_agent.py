import numpy as np
import pytest
import tensorflow as tf

from dqn_helpers import DQNAgent, DQNConfig, ReplayBuffer, build_q_network, td_targets
from dqn_helpers.networks import numpy_forward


def test_network_shapes_and_numpy_integer_sizes():
    model = build_q_network(np.int64(4), np.int64(2), hidden_sizes=(64, 64))
    assert model(np.zeros((7, 4), np.float32)).shape == (7, 2)
    assert [layer.units for layer in model.layers] == [64, 64, 2]
    with pytest.raises(ValueError, match="hidden_sizes"):
        build_q_network(4, 2, hidden_sizes=())


def test_numpy_forward_matches_keras():
    model = build_q_network(4, 3, hidden_sizes=(16, 8))
    obs = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    np.testing.assert_allclose(numpy_forward(model.get_weights(), obs), model(obs).numpy(), rtol=1e-5, atol=1e-6)


def test_td_target_masks_terminated_but_not_truncated():
    rewards = np.array([1.0, 1.0, 1.0])
    next_q = np.array([[2.0, 5.0], [2.0, 5.0], [3.0, 1.0]])
    # Transition 0 ended by termination; 1 was truncated by the time limit, so it is stored
    # with terminated=0 and still bootstraps; 2 is an ordinary step.
    terminated = np.array([1.0, 0.0, 0.0])
    targets = np.asarray(td_targets(rewards, next_q, terminated, gamma=0.9))
    np.testing.assert_allclose(targets, [1.0, 1.0 + 0.9 * 5.0, 1.0 + 0.9 * 3.0], rtol=1e-6)


def make_agent(**overrides):
    tf.keras.utils.set_random_seed(0)
    return DQNAgent(4, 2, DQNConfig(hidden_sizes=(32, 32), **overrides))


def test_greedy_and_epsilon_greedy_actions():
    agent = make_agent()
    obs = np.random.default_rng(1).normal(size=(20, 4)).astype(np.float32)
    expected = np.argmax(agent.q_network(obs).numpy(), axis=1)
    np.testing.assert_array_equal(agent.greedy_actions(obs), expected)
    assert agent.act(obs[0], epsilon=0.0) == expected[0]
    rng = np.random.default_rng(0)
    random_actions = {agent.act(obs[0], epsilon=1.0, rng=rng) for _ in range(50)}
    assert random_actions == {0, 1}


def a_batch(n=64, seed=0):
    rng = np.random.default_rng(seed)
    buffer = ReplayBuffer(n, (4,), rng)
    for _ in range(n):
        buffer.add(rng.normal(size=4), rng.integers(2), 1.0, rng.normal(size=4), rng.random() < 0.1)
    return buffer.sample(n)


def test_gradient_steps_reduce_the_loss_and_refresh_acting_weights():
    agent = make_agent(learning_rate=1e-3)
    batch = a_batch()
    before = agent.q_values(batch["obs"][:3]).copy()
    losses = [agent.train_on_batch(batch) for _ in range(30)]
    assert losses[-1] < losses[0]
    after = agent.q_values(batch["obs"][:3])
    assert not np.allclose(before, after)  # acting uses the trained weights, not a stale copy
    np.testing.assert_allclose(after, agent.q_network(batch["obs"][:3]).numpy(), rtol=1e-5, atol=1e-5)


def test_several_gradient_steps_in_one_call_equal_separate_calls():
    batches = [a_batch(seed=s) for s in range(3)]
    stacked = {key: np.stack([b[key] for b in batches]) for key in batches[0]}
    one_call, separate = make_agent(), make_agent()
    one_call.train_on_batch(stacked)
    for batch in batches:
        separate.train_on_batch(batch)
    for a, b in zip(one_call.q_network.get_weights(), separate.q_network.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_target_network_is_frozen_until_updated():
    agent = make_agent()
    target_before = [w.copy() for w in agent.target_network.get_weights()]
    agent.train_on_batch(a_batch())
    for a, b in zip(agent.target_network.get_weights(), target_before):
        np.testing.assert_array_equal(a, b)
    online = agent.q_network.get_weights()
    agent.update_target(tau=0.1)
    for t, o, old in zip(agent.target_network.get_weights(), online, target_before):
        np.testing.assert_allclose(t, 0.1 * o + 0.9 * old, rtol=1e-5, atol=1e-6)
    agent.update_target(tau=1.0)
    for t, o in zip(agent.target_network.get_weights(), online):
        np.testing.assert_array_equal(t, o)


def test_huber_and_mse_losses_differ_on_large_errors():
    batch = a_batch()
    batch["rewards"] = batch["rewards"] * 100.0  # large TD errors
    huber = make_agent(loss="huber").train_on_batch(batch)
    mse = make_agent(loss="mse").train_on_batch(batch)
    assert mse > 10 * huber  # squared vs linear growth of the penalty
