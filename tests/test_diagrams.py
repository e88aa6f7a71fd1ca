"""The course's diagrams say what the code does."""
import dataclasses

import matplotlib
import numpy as np

matplotlib.use("Agg")

from dqn_helpers import DQNConfig, train  # noqa: E402
from dqn_helpers.diagrams import draw_agent_env_loop, draw_dqn_data_flow, draw_schedule  # noqa: E402


def texts(fig):
    return " ".join(t.get_text() for ax in fig.axes for t in ax.texts)


def test_the_schedule_marks_the_training_calls_of_a_real_run():
    config = DQNConfig(hidden_sizes=(16, 16), total_steps=2_000, learning_starts=300, train_freq=200,
                       gradient_steps=4, target_update_interval=500, eval_every=0, epsilon_decay_steps=1_500)
    _, history = train("CartPole-v1", config, seed=0, progress=False)
    fig = draw_schedule(config, steps=config.total_steps)
    events = fig.axes[1]
    by_label = {c.get_label().split(":")[0].split(" (")[0]: c.get_offsets()[:, 0] for c in events.collections}
    np.testing.assert_array_equal(by_label["training call"], history.td_loss_steps)
    np.testing.assert_array_equal(by_label["target copy θ⁻ ← θ"], [500, 1000, 1500, 2000])
    assert len(by_label["greedy evaluation, 20 episodes"]) == 0  # eval_every=0: no evaluations
    epsilon_line = fig.axes[0].lines[0]
    np.testing.assert_allclose(epsilon_line.get_ydata()[[0, 1500, 2000]], [1.0, config.epsilon_end, config.epsilon_end])


def test_the_schedule_follows_the_config():
    config = dataclasses.replace(DQNConfig(), train_freq=4, gradient_steps=1, target_update_interval=1000)
    labels = [c.get_label() for c in draw_schedule(config, steps=2_000).axes[1].collections]
    assert "1 gradient steps (every 4 env steps)" in labels[0] and "every 1000 env steps" in labels[1]


def test_the_data_flow_names_every_line_of_the_pseudocode_it_draws():
    text = texts(draw_dqn_data_flow())
    for line in ("(2, 8)", "(6)", "(8)", "(12)", "(13)", "(14)", "(15)"):
        assert line in text, line
    for name in ("replay_buffer", "q_network", "target_network", "td_loss"):
        assert name in text


def test_the_agent_env_loop_names_both_ends_of_a_step():
    text = texts(draw_agent_env_loop())
    for word in ("agent", "environment", "action", "reward", "terminated", "truncated"):
        assert word in text


def test_plot_stability_shows_the_recorded_q_values_and_the_return_bound():
    from dqn_helpers.plotting import plot_stability

    config = DQNConfig(hidden_sizes=(16, 16), total_steps=1_500, learning_starts=300, train_freq=100,
                       gradient_steps=4, eval_every=500, eval_episodes=2)
    _, history = train("CartPole-v1", config, seed=0, progress=False)
    fig = plot_stability(history, gamma=0.9)
    q_line, bound = fig.axes[0].lines
    np.testing.assert_allclose(q_line.get_ydata(), history.mean_max_q)
    np.testing.assert_allclose(bound.get_ydata(), [10.0, 10.0])  # 1 / (1 - 0.9)
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), history.grad_norms)
    np.testing.assert_allclose(fig.axes[2].lines[0].get_ydata(), [e["mean"] for e in history.evaluations])


def test_the_study_diagram_names_the_committed_study_s_seeds():
    from dqn_helpers.diagrams import draw_study
    from dqn_helpers.study import load_study

    _, record = load_study("cartpole")
    record = {**record, "sweeps": {**record["sweeps"]}}
    record["sweeps"]["cartpole"] = {**record["sweeps"]["cartpole"], "grid": {**record["sweeps"]["cartpole"]["grid"], "seeds": "40-59"}}
    text = texts(draw_study(record))
    assert f"seeds {record['sweeps']['cartpole_tuning']['grid']['seeds']}" in text
    assert "seeds 40-59" in text  # drawn from the record, not written into the diagram
    assert f"({len(record['sweeps']['cartpole_tuning']['grid']['variants'])})" in text
