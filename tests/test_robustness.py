"""What a learner's experiments do to the package: each path works, or fails with one sentence.

One test per finding of issue 12 (items 1-8); each failed on the code before the fix.
"""
import dataclasses
import math

import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf
from gymnasium.envs.classic_control import CartPoleEnv

import dqn_helpers
from dqn_helpers import DQNAgent, DQNConfig, ReplayBuffer, evaluate, train
from dqn_helpers.errors import DQNHelpersError, TrainingDivergedError

SMALL = DQNConfig(hidden_sizes=(16,), total_steps=600, learning_starts=100, train_freq=50, gradient_steps=4,
                  target_update_interval=100, buffer_size=1_000, batch_size=32, eval_every=300, eval_episodes=2,
                  confirm_episodes=0, epsilon_decay_steps=300)


def a_batch(n=32, obs_dim=4, rewards_scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    return {"obs": rng.normal(size=(n, obs_dim)).astype(np.float32), "actions": rng.integers(0, 2, n),
            "rewards": (rng.normal(size=n) * rewards_scale).astype(np.float32),
            "next_obs": rng.normal(size=(n, obs_dim)).astype(np.float32), "terminated": np.zeros(n, np.float32)}


# 1. act without an rng ------------------------------------------------------------------
def test_act_without_rng_explores_with_numpys_global_generator_reproducibly():
    agent = DQNAgent(4, 3, DQNConfig(hidden_sizes=(8,)))
    obs = np.zeros(4, np.float32)
    dqn_helpers.seed_everything(5)
    first = [agent.act(obs, epsilon=1.0) for _ in range(30)]
    dqn_helpers.seed_everything(5)
    assert [agent.act(obs, epsilon=1.0) for _ in range(30)] == first
    assert set(first) == {0, 1, 2}


# 2. max_grad_norm = inf, and a loss that stops being finite --------------------------------
@pytest.mark.parametrize("norm", [math.inf, 1e300])
def test_max_grad_norm_beyond_float32_means_no_clipping(norm):
    clipped = DQNAgent(4, 2, DQNConfig(hidden_sizes=(8,), max_grad_norm=1e30))
    unclipped = DQNAgent(4, 2, DQNConfig(hidden_sizes=(8,), max_grad_norm=norm))
    unclipped.q_network.set_weights(clipped.q_network.get_weights())
    unclipped.target_network.set_weights(clipped.target_network.get_weights())
    batch = a_batch(rewards_scale=100.0)
    assert unclipped.train_on_batch(batch) == pytest.approx(clipped.train_on_batch(batch))
    for a, b in zip(unclipped.q_network.get_weights(), clipped.q_network.get_weights()):
        assert np.isfinite(a).all()
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_nan_loss_stops_training_with_a_sentence_naming_the_likely_causes():
    agent = DQNAgent(4, 2, DQNConfig(hidden_sizes=(8,)))
    batch = a_batch()
    batch["rewards"][3] = np.nan  # e.g. an env that returns NaN rewards
    with pytest.raises(TrainingDivergedError, match="training diverged by gradient step 1.*learning_rate.*max_grad_norm"):
        agent.train_on_batch(batch)


def test_train_raises_when_the_run_diverges_instead_of_acting_on_nan_weights():
    class HugeRewards(gym.RewardWrapper):
        def reward(self, reward):
            return reward * 1e38

    env = HugeRewards(gym.make("CartPole-v1"))
    config = dataclasses.replace(SMALL, learning_rate=1.0, max_grad_norm=math.inf, loss="mse", eval_every=0)
    with pytest.raises(TrainingDivergedError):
        train(env, config, seed=0, progress=False)


# 3. an env without a spec --------------------------------------------------------------
def test_an_env_without_a_spec_is_refused_before_training_with_the_fix_in_the_sentence():
    with pytest.raises(DQNHelpersError, match=r"built without gymnasium.make.*eval_env=lambda: CartPoleEnv\(\)"):
        train(CartPoleEnv(), SMALL, seed=0, progress=False)


def test_an_env_without_a_spec_trains_with_an_eval_env_factory_or_without_evaluation():
    _, history = train(CartPoleEnv(), SMALL, seed=0, progress=False, eval_env=lambda: gym.make("CartPole-v1"))
    assert [e["env_steps"] for e in history.evaluations] == [300, 600]
    _, history = train(CartPoleEnv(), dataclasses.replace(SMALL, eval_every=0), seed=0, progress=False)
    assert history.env_steps == 600 and history.evaluations == []


# 4. wrapped envs: train and evaluate evaluate on the same env ------------------------------
def test_train_and_evaluate_agree_on_a_wrapped_env(monkeypatch):
    from dqn_helpers import training as training_module

    env = gym.wrappers.TransformReward(gym.make("CartPole-v1"), lambda r: 2.0 * r)  # rebuildable
    seen = {}
    real = training_module.evaluate

    def spy(agent, env_arg, n_episodes, seed):
        seen["result"] = real(agent, env_arg, n_episodes, seed)
        seen["agent"] = agent
        return seen["result"]

    monkeypatch.setattr(training_module, "evaluate", spy)
    config = dataclasses.replace(SMALL, total_steps=300)
    train(env, config, seed=0, progress=False)
    direct = evaluate(seen["agent"], env, config.eval_episodes, config.eval_seed)
    np.testing.assert_array_equal(direct.returns, seen["result"].returns)
    assert direct.returns.sum() == 2 * direct.lengths.sum()  # the wrapper's doubled reward, in both


def test_a_wrapper_gymnasium_cannot_rebuild_gets_a_sentence_not_a_silent_different_env():
    class Doubled(gym.RewardWrapper):
        def reward(self, reward):
            return 2.0 * reward

    agent = DQNAgent(4, 2, DQNConfig(hidden_sizes=(8,)))
    env = Doubled(gym.make("CartPole-v1"))
    for call in (lambda: train(env, SMALL, progress=False), lambda: evaluate(agent, env, 2)):
        with pytest.raises(DQNHelpersError, match="cannot rebuild CartPole-v1.*pass a function"):
            call()
    result = evaluate(agent, lambda: Doubled(gym.make("CartPole-v1")), 2)
    assert result.returns.sum() == 2 * result.lengths.sum()


# 5. learning_starts below batch_size ------------------------------------------------------
def test_learning_starts_below_batch_size_is_refused_when_the_config_is_built():
    with pytest.raises(DQNHelpersError, match=r"learning_starts must be at least batch_size - 1 \(63\)"):
        DQNConfig(learning_starts=10, batch_size=64)
    DQNConfig(learning_starts=63, batch_size=64)  # the first gradient step then has 64 transitions


# 6. stale weights, and an edited architecture ------------------------------------------------
def test_acting_follows_set_weights_and_hand_written_gradient_steps():
    agent = DQNAgent(4, 2, DQNConfig(hidden_sizes=(8,)))
    probe = np.random.default_rng(1).normal(size=(16, 4)).astype(np.float32)

    def agrees():
        return np.allclose(agent.q_values(probe), agent.q_network(probe).numpy(), atol=1e-5)

    agent.act(probe[0])  # the NumPy copy is made
    agent.q_network.set_weights([w + 0.5 for w in agent.q_network.get_weights()])
    assert agrees()
    optimizer = tf.keras.optimizers.SGD(0.01)
    with tf.GradientTape() as tape:  # an eager gradient step of the learner's own
        loss = tf.reduce_mean(agent.q_network(probe) ** 2)
    optimizer.apply_gradients(zip(tape.gradient(loss, agent.q_network.trainable_variables),
                                  agent.q_network.trainable_variables))
    assert agrees()

    @tf.function
    def compiled_step():  # and a compiled one, which writes every time it runs
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(agent.q_network(probe) ** 2)
        optimizer.apply_gradients(zip(tape.gradient(loss, agent.q_network.trainable_variables),
                                      agent.q_network.trainable_variables))

    for _ in range(3):
        compiled_step()
        assert agrees()
    agent.train_on_batch(a_batch())
    assert agrees()


def test_an_edited_architecture_fails_loudly_at_agent_creation(monkeypatch):
    import keras

    from dqn_helpers import agent as agent_module

    def with_layer_norm(obs_dim, n_actions, hidden_sizes, name, dueling):
        return keras.Sequential([keras.Input((obs_dim,)), keras.layers.Dense(8, activation="relu"),
                                 keras.layers.LayerNormalization(), keras.layers.Dense(n_actions)], name=name)

    def with_tanh(obs_dim, n_actions, hidden_sizes, name, dueling):
        return keras.Sequential([keras.Input((obs_dim,)), keras.layers.Dense(8, activation="tanh"),
                                 keras.layers.Dense(n_actions)], name=name)

    for builder in (with_layer_norm, with_tanh):
        monkeypatch.setattr(agent_module, "build_q_network", builder)
        with pytest.raises(DQNHelpersError, match="NumPy forward pass.*disagree"):
            DQNAgent(4, 2, DQNConfig(hidden_sizes=(8,)))


# 7. a frozen config -----------------------------------------------------------------------
def test_the_config_cannot_change_under_a_compiled_agent():
    config = DQNConfig(hidden_sizes=(8,))
    agent = DQNAgent(4, 2, config)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.gamma = 0.5
    with pytest.raises(AttributeError):
        agent.config = dataclasses.replace(config, gamma=0.5)
    changed = dataclasses.replace(config, gamma=0.5)
    assert changed.gamma == 0.5 and agent.config.gamma == 0.99
    with pytest.raises(DQNHelpersError, match="DQNConfig.gamma"):
        dataclasses.replace(config, gamma=2.0)


# 8. the minor ones ---------------------------------------------------------------------------
def test_replay_buffer_takes_the_observation_shape_in_any_spelling():
    for shape in (4, (4,), [4], np.array([4]), np.int64(4), gym.make("CartPole-v1").observation_space.shape):
        assert ReplayBuffer(10, shape).obs_shape == (4,)


def test_the_command_line_types_each_flag_from_the_field_not_its_default(tmp_path, capsys):
    from dqn_helpers.cli import build_parser

    args = build_parser().parse_args(["train", "--out", "x", "--solve-threshold", "200"])
    assert args.solve_threshold == 200.0  # was NoneType("200"): a TypeError
    assert build_parser().parse_args(["train", "--out", "x", "--solve-threshold", "none"]).solve_threshold is None
    assert build_parser().parse_args(["train", "--out", "x", "--max-grad-norm", "inf"]).max_grad_norm == math.inf


def test_the_command_line_reports_the_final_policy(tmp_path, capsys, monkeypatch):
    import json

    from dqn_helpers.cli import main

    out = tmp_path / "run"
    code = main(["train", "--out", str(out), "--no-progress", "--total-steps", "400", "--hidden-sizes", "16",
                 "--learning-starts", "100", "--train-freq", "50", "--gradient-steps", "4", "--eval-every", "0",
                 "--eval-episodes", "3"])
    assert code == 0
    results = json.loads((out / "results.json").read_text())
    agent, _ = dqn_helpers.load_agent(out)
    final = evaluate(agent, "CartPole-v1", 3, DQNConfig().eval_seed)
    assert results["eval_mean"] == pytest.approx(final.mean)  # no periodic evaluation ran at all
    assert f"final greedy return {final.mean:.1f}" in capsys.readouterr().out
