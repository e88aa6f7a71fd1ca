import gymnasium as gym
import numpy as np
import pytest

from dqn_helpers import epsilon_greedy, greedy_action, greedy_rollout, q_learning_update, train_q_learning


def test_q_learning_update_by_hand():
    q_table = np.zeros((3, 2))
    q_table[1] = [0.5, 2.0]
    # target = 1 + 0.9 * max(0.5, 2.0) = 2.8; Q(0, 1) moves 10% of the way from 0 to 2.8.
    td_error = q_learning_update(q_table, 0, 1, 1.0, 1, False, alpha=0.1, gamma=0.9)
    assert td_error == pytest.approx(2.8)
    assert q_table[0, 1] == pytest.approx(0.28)


def test_terminated_transition_has_no_future():
    q_table = np.zeros((3, 2))
    q_table[2] = [10.0, 10.0]
    q_learning_update(q_table, 0, 0, 1.0, 2, True, alpha=0.5, gamma=0.9)
    assert q_table[0, 0] == pytest.approx(0.5)


def test_ties_are_broken_at_random():
    rng = np.random.default_rng(0)
    choices = {greedy_action(np.zeros(4), rng) for _ in range(100)}
    assert choices == {0, 1, 2, 3}
    assert greedy_action(np.array([0.0, 3.0, 1.0]), rng) == 1
    assert {epsilon_greedy(np.array([0.0, 3.0]), 0.0, rng) for _ in range(20)} == {1}


def test_non_slippery_frozen_lake_is_solved_by_the_shortest_path():
    env = gym.make("FrozenLake-v1", is_slippery=False)
    result = train_q_learning(env, n_episodes=300, alpha=0.5, gamma=0.95, seed=0)
    states, episode_return = greedy_rollout(env, result.q_table)
    assert episode_return == 1.0
    assert len(states) - 1 == 6  # 3 steps down and 3 right: the optimal path on the 4x4 map
    assert result.episode_returns[-50:].mean() > 0.8
    assert result.epsilons[0] == 1.0 and result.epsilons[-1] == pytest.approx(0.05)


def test_cliff_walking_with_a_step_limit_finds_a_safe_path():
    env = gym.make("CliffWalking-v1", max_episode_steps=100)
    result = train_q_learning(env, n_episodes=300, alpha=0.5, gamma=0.99, seed=0)
    states, episode_return = greedy_rollout(env, result.q_table)
    assert states[-1] == 47  # the goal, bottom right
    assert episode_return >= -17  # the optimal path along the cliff costs 13


def test_training_is_reproducible():
    env = gym.make("FrozenLake-v1", is_slippery=True)
    a = train_q_learning(env, n_episodes=200, seed=3)
    b = train_q_learning(env, n_episodes=200, seed=3)
    np.testing.assert_array_equal(a.q_table, b.q_table)
