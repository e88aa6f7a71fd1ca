import numpy as np
import pytest

from dqn_helpers import evaluate, make_env
from dqn_helpers.errors import DQNHelpersError


def test_make_env_checks_what_dqn_needs():
    env = make_env("CartPole-v1")
    assert env.spec.max_episode_steps == 500
    with pytest.raises(DQNHelpersError, match="Unknown environment id 'CartPol-v1'"):
        make_env("CartPol-v1")
    with pytest.raises(DQNHelpersError, match="Pendulum-v1 has the action space Box"):
        make_env("Pendulum-v1")
    with pytest.raises(DQNHelpersError, match="FrozenLake-v1 has the observation space Discrete"):
        make_env("FrozenLake-v1")


def test_evaluate_uses_fixed_seeds_and_runs_whole_episodes():
    always_left = lambda obs: np.zeros(len(obs), dtype=int)  # noqa: E731
    a = evaluate(always_left, "CartPole-v1", n_episodes=5, seed=123)
    b = evaluate(always_left, "CartPole-v1", n_episodes=5, seed=123)
    np.testing.assert_array_equal(a.returns, b.returns)
    assert a.seeds == [123, 124, 125, 126, 127]
    assert np.all(a.returns == a.lengths)  # CartPole pays 1 per step
    assert a.mean < 20  # pushing left topples the pole fast
    assert a.mean == pytest.approx(np.mean(a.returns)) and a.std == pytest.approx(np.std(a.returns))


def test_a_balancing_rule_beats_random():
    # Push toward the side the pole leans to: a classic hand-written controller.
    lean = lambda obs: (obs[:, 2] + 0.5 * obs[:, 3] > 0).astype(int)  # noqa: E731
    rng = np.random.default_rng(0)
    random_policy = lambda obs: rng.integers(2, size=len(obs))  # noqa: E731
    assert evaluate(lean, "CartPole-v1", 10).mean > 3 * evaluate(random_policy, "CartPole-v1", 10).mean
