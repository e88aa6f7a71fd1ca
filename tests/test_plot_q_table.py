"""plot_q_table: blank never-updated cells, integer grid ticks, labels drawn once, shared colour scales."""
import gymnasium as gym
import matplotlib.pyplot as plt
import numpy as np

from dqn_helpers.plotting import plot_q_table


def test_cliff_and_goal_are_blank_and_labelled_once():
    env = gym.make("CliffWalking-v1", max_episode_steps=50)
    q_table = -np.arange(48 * 4, dtype=float).reshape(48, 4) / 10  # every row differs across actions
    q_table[37:48] = 0.0  # the cliff (cells 37-46) and the goal (47) are never updated
    ax = plot_q_table(q_table, env)
    blank = np.isnan(np.ma.filled(np.ma.asarray(ax.images[0].get_array(), dtype=float), np.nan))
    assert blank[3, 1:].all() and not blank[:3].any()  # cliff and goal blank, the rest coloured
    letters = [text.get_text() for text in ax.texts]
    assert sorted(letters) == sorted(["S", "G"] + ["C"] * 10)  # each special cell labelled exactly once
    assert list(ax.get_xticks()) == list(range(12)) and list(ax.get_yticks()) == list(range(4))
    plt.close("all")


def test_shared_colour_scale_without_colour_bar():
    env = gym.make("FrozenLake-v1", is_slippery=False)
    q_table = np.random.default_rng(0).random((16, 4)) * 0.5
    fig, axes = plt.subplots(1, 2)
    plot_q_table(q_table, env, ax=axes[0], vmin=0, vmax=1, colorbar=False)
    plot_q_table(q_table * 2, env, ax=axes[1], vmin=0, vmax=1, colorbar=False)
    assert [ax.images[0].get_clim() for ax in axes] == [(0, 1), (0, 1)]
    assert len(fig.axes) == 2  # no colour bar axes were added
    default = plot_q_table(q_table, env)  # defaults unchanged: own scale and a colour bar
    assert default.images[0].get_clim() != (0, 1) and len(default.figure.axes) == 2
    plt.close("all")
