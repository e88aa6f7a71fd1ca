import csv

import gymnasium as gym
import numpy as np
import pytest

from dqn_helpers import DQNConfig, seed_everything, train
from dqn_helpers import training as training_module

SHORT = dict(total_steps=1_500, learning_starts=200, hidden_sizes=(32, 32), eval_every=500, eval_episodes=3,
             epsilon_decay_steps=1_000, target_update_interval=100, train_freq=4, gradient_steps=2)


def test_same_seed_gives_identical_histories():
    _, a = train("CartPole-v1", DQNConfig(**SHORT), seed=5, progress=False)
    _, b = train("CartPole-v1", DQNConfig(**SHORT), seed=5, progress=False)
    assert a.episode_returns == b.episode_returns
    assert a.td_losses == b.td_losses
    assert a.evaluations == b.evaluations
    _, c = train("CartPole-v1", DQNConfig(**SHORT), seed=6, progress=False)
    assert c.episode_returns != a.episode_returns


def test_history_records_the_run():
    agent, history = train("CartPole-v1", DQNConfig(**SHORT), seed=0, progress=False)
    assert history.env_steps == 1_500 and not history.solved
    assert sum(history.episode_lengths) <= 1_500
    assert history.episode_end_steps == list(np.cumsum(history.episode_lengths))
    assert history.episode_epsilons[0] > history.episode_epsilons[-1]
    assert [e["env_steps"] for e in history.evaluations] == [500, 1000, 1500]
    assert history.td_loss_steps[0] > 200 and all(step % 4 == 0 for step in history.td_loss_steps)
    assert len(history.td_losses) == (1_500 - 200) // 4 and history.gradient_steps == 2 * len(history.td_losses)
    rows = history.episode_rows()
    assert len(rows) == len(history.episode_returns)
    assert rows[0]["td_loss"] == ""  # the first episode ended before learning started


def test_history_csv(tmp_path):
    _, history = train("CartPole-v1", DQNConfig(**SHORT), seed=0, progress=False)
    history.write_csv(tmp_path / "history.csv")
    with open(tmp_path / "history.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(history.episode_returns)
    assert float(rows[-1]["episode_return"]) == history.episode_returns[-1]


def test_early_stop_once_the_threshold_is_reached():
    config = DQNConfig(**{**SHORT, "solve_threshold": 5.0})  # any policy lasts 5 steps
    _, history = train("CartPole-v1", config, seed=0, progress=False)
    assert history.solved and history.env_steps == 500 and history.solved_at == 500


@pytest.mark.parametrize("blog_mistake", [False, True])
def test_truncation_is_not_stored_as_termination(monkeypatch, blog_mistake):
    stored, seen = [], []
    original_add = training_module.ReplayBuffer.add

    def spy(self, obs, action, reward, next_obs, terminated):
        stored.append(bool(terminated))
        original_add(self, obs, action, reward, next_obs, terminated)

    class RecordFlags(gym.Wrapper):
        def step(self, action):
            result = self.env.step(action)
            seen.append(result[2:4])  # (terminated, truncated)
            return result

    monkeypatch.setattr(training_module.ReplayBuffer, "add", spy)
    # A 10-step time limit: most episodes end truncated, a few terminated.
    env = RecordFlags(gym.make("CartPole-v1", max_episode_steps=10))
    config = DQNConfig(**{**SHORT, "total_steps": 300, "eval_every": 0, "truncation_as_termination": blog_mistake})
    train(env, config, seed=0, progress=False)
    assert any(truncated and not terminated for terminated, truncated in seen)
    if blog_mistake:  # the ablation of notebook 06 stores the blog's `done`
        assert stored == [bool(terminated or truncated) for terminated, truncated in seen]
    else:
        assert stored == [bool(terminated) for terminated, _ in seen]


def test_ctrl_c_returns_what_was_learned_so_far():
    class InterruptAfter(gym.Wrapper):
        def __init__(self, env, n):
            super().__init__(env)
            self.left = n

        def step(self, action):
            self.left -= 1
            if self.left < 0:
                raise KeyboardInterrupt
            return self.env.step(action)

    env = InterruptAfter(gym.make("CartPole-v1"), 700)
    # gymnasium cannot rebuild this wrapper for evaluation: say what to evaluate on.
    agent, history = train(env, DQNConfig(**SHORT), seed=0, progress=False, eval_env="CartPole-v1")
    assert history.interrupted and history.env_steps == 700
    assert agent.q_values(np.zeros(4, np.float32)).shape == (2,)


def test_seed_everything_seeds_every_source():
    import random

    import tensorflow as tf

    def draw(seed):
        env = gym.make("CartPole-v1")
        rng = seed_everything(seed, env)
        return (random.random(), np.random.random(), float(tf.random.uniform(())), rng.random(),
                env.action_space.sample(), tuple(env.reset()[0]))

    assert draw(3) == draw(3)
    assert draw(3) != draw(4)
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        seed_everything(-1)


def test_evaluation_keeps_the_time_limit_of_the_training_env(monkeypatch):
    specs = []
    real_evaluate = training_module.evaluate

    def spy(policy, env, *args):
        specs.append(env)
        return real_evaluate(policy, env, *args)

    monkeypatch.setattr(training_module, "evaluate", spy)
    env = gym.make("CartPole-v1", max_episode_steps=30)
    config = DQNConfig(**{**SHORT, "total_steps": 300, "eval_every": 300, "eval_episodes": 2})
    train(env, config, seed=0, progress=False)
    assert specs[0]().spec.max_episode_steps == 30  # train evaluates on envs its factory builds


def test_a_lucky_evaluation_must_be_confirmed_before_stopping(monkeypatch):
    from dqn_helpers.evaluation import EvalResult

    config = DQNConfig(**SHORT)

    def fake_evaluate(policy, env, n_episodes, seed):
        # The 20 stopping episodes look solved; the confirmation episodes do not.
        mean = 480.0 if seed == config.eval_seed else 300.0
        return EvalResult(returns=np.full(n_episodes, mean), lengths=np.full(n_episodes, 1), seeds=[])

    monkeypatch.setattr(training_module, "evaluate", fake_evaluate)
    unconfirmed = training_module.evaluate_for_stopping(None, "CartPole-v1", config, threshold=475.0)
    assert unconfirmed["mean"] == 480.0 and unconfirmed["confirm_mean"] == 300.0 and not unconfirmed["solved"]
    no_confirmation = DQNConfig(**{**SHORT, "confirm_episodes": 0})
    assert training_module.evaluate_for_stopping(None, "CartPole-v1", no_confirmation, threshold=475.0)["solved"]
    _, history = train("CartPole-v1", config, seed=0, progress=False)
    assert not history.solved and history.env_steps == config.total_steps  # never stopped early


def test_a_bar_finished_early_ends_full_with_its_note():
    """A run that stops because it solved the task must not look like a failed, partial bar."""
    import io

    from dqn_helpers import progress_bar

    stream = io.StringIO()
    bar = progress_bar(total=1000, file=stream, desc="CartPole-v1")
    bar.update(400)
    bar.finish_early("solved")
    bar.close()
    final = stream.getvalue().split("\r")[-1]
    assert "100%" in final and "400/400" in final and "solved" in final, final


def test_history_records_q_values_and_gradient_norms_per_training_call():
    """mean_max_q is the batch mean of max_a Q(s, a; θ) and grad_norm the norm before clipping."""
    from dqn_helpers import DQNAgent, ReplayBuffer

    agent, history = train("CartPole-v1", DQNConfig(**SHORT), seed=0, progress=False)
    assert len(history.mean_max_q) == len(history.grad_norms) == len(history.td_losses)
    assert all(np.isfinite(history.mean_max_q)) and all(n > 0 for n in history.grad_norms)
    # Q-values start near 0 and grow toward the discounted return as learning proceeds
    assert abs(history.mean_max_q[0]) < 2.0 and history.mean_max_q[-1] > history.mean_max_q[0]
    # one call on one batch: the recorded statistics are those of that batch, before the step
    config = DQNConfig(**SHORT)
    seed_everything(0)
    agent = DQNAgent(4, 2, config)
    rng = np.random.default_rng(0)
    buffer = ReplayBuffer(100, (4,), rng)
    for _ in range(100):
        buffer.add(rng.normal(size=4), int(rng.integers(2)), 1.0, rng.normal(size=4), False)
    batch = buffer.sample(32)
    expected_max_q = float(np.mean(np.max(agent.q_values(batch["obs"]), axis=1)))
    agent.train_on_batch(batch)
    assert np.isclose(agent.last_stats["mean_max_q"], expected_max_q, rtol=1e-4, atol=1e-5)
    mse_agent = DQNAgent(4, 2, DQNConfig(**SHORT, loss="mse"))  # Huber would bound each error's gradient
    mse_agent.train_on_batch(dict(batch, rewards=np.full(32, 1e4, np.float32)))
    assert mse_agent.last_stats["grad_norm"] > config.max_grad_norm  # measured before clipping
    rows = history.episode_rows()
    assert rows[0]["mean_max_q"] == "" and isinstance(rows[-1]["mean_max_q"], float)
