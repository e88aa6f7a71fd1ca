"""Figures of the course: learning curves, epsilon schedules, Q-tables, episode animations."""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

import gymnasium as gym
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .envs import make_env
from .errors import DQNHelpersError, check_integer, check_number

HISTORY_FIELDS = ("episode_returns", "episode_end_steps", "evaluations", "solve_threshold")


def _checked_history(history, needs=HISTORY_FIELDS):
    """``history`` if it is a training History (or looks like one), else one sentence."""
    missing = [name for name in needs if not hasattr(history, name)]
    if missing:
        raise DQNHelpersError(f"history must be the History that train returns (agent, history = train(...)), "
                              f"got {type(history).__name__}.")
    return history



# Arrow direction (dx, dy on screen) of each action in the toy-text grid worlds.
GRID_ARROWS = {
    "FrozenLake": {0: (-1, 0), 1: (0, 1), 2: (1, 0), 3: (0, -1)},  # left, down, right, up
    "CliffWalking": {0: (0, -1), 1: (1, 0), 2: (0, 1), 3: (-1, 0)},  # up, right, down, left
}


def rolling_mean(values: Sequence[float], window: int) -> np.ndarray:
    """Mean of the last ``window`` values at each point (fewer at the start).

    Introduced in `01_q_learning_basics.ipynb`.
    """
    window = check_integer("window", window, 1)
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return values
    sums = np.cumsum(np.insert(values, 0, 0.0))
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    return (sums[1:] - sums[np.maximum(np.arange(1, len(values) + 1) - window, 0)]) / counts


def plot_learning_curve(history, window: int = 20, ax: Axes | None = None, title: str = "Learning curve") -> Axes:
    """Episode returns against env steps, their rolling mean, evaluations and the threshold.

    Introduced in `04_training_loop.ipynb`.
    """
    _checked_history(history)
    ax = ax if ax is not None else plt.subplots(figsize=(8, 4))[1]
    steps, returns = history.episode_end_steps, history.episode_returns
    ax.plot(steps, returns, color="tab:blue", alpha=0.3, lw=1, label="episode return")
    ax.plot(steps, rolling_mean(returns, window), color="tab:blue", lw=2, label=f"rolling mean ({window} episodes)")
    if history.evaluations:
        ev_steps = [e["env_steps"] for e in history.evaluations]
        ax.errorbar(ev_steps, [e["mean"] for e in history.evaluations], yerr=[e["std"] for e in history.evaluations],
                    fmt="o", color="tab:orange", capsize=3, label="greedy evaluation (mean ± std)")
    if history.solve_threshold is not None:
        ax.axhline(history.solve_threshold, color="tab:green", ls="--", lw=1, label=f"threshold {history.solve_threshold:g}")
    ax.set(title=title, xlabel="env steps", ylabel="episode return")
    ax.legend(loc="upper left", fontsize=8)
    return ax


def plot_training(history, window: int = 20) -> Figure:
    """Three panels: returns with evaluations, TD loss, and epsilon, all against env steps.

    Introduced in `04_training_loop.ipynb`.
    """
    _checked_history(history, HISTORY_FIELDS + ("td_losses", "td_loss_steps", "episode_epsilons"))
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    plot_learning_curve(history, window, ax=axes[0], title=f"{history.env_id}: returns (seed {history.seed})")
    axes[1].plot(history.td_loss_steps, history.td_losses, color="tab:red", lw=0.5, alpha=0.4, label="per training call")
    axes[1].plot(history.td_loss_steps, rolling_mean(history.td_losses, 50), color="tab:red", lw=2, label="rolling mean (50 calls)")
    axes[1].set(title="TD loss", xlabel="env steps", ylabel="loss", yscale="log")
    axes[1].legend(fontsize=8)
    axes[2].plot(history.episode_end_steps, history.episode_epsilons, color="tab:purple", label="epsilon at episode end")
    axes[2].set(title="Exploration", xlabel="env steps", ylabel="epsilon", ylim=(0, 1.05))
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_epsilon_schedules(schedules: Mapping[str, Callable[[int], float]], steps: int, ax: Axes | None = None,
                           title: str = "Epsilon schedules") -> Axes:
    """Plot several ``step -> epsilon`` functions, given as ``{label: function}``, over ``steps`` env steps.

    Introduced in `04_training_loop.ipynb`.
    """
    if not isinstance(schedules, Mapping) or not all(callable(f) for f in schedules.values()):
        raise DQNHelpersError("schedules must be a dict {label: function of the env step}, e.g. "
                              "{'linear': lambda t: linear_epsilon(t)}.")
    steps = check_integer("steps", steps, 1)
    ax = ax if ax is not None else plt.subplots(figsize=(7, 3.5))[1]
    xs = np.arange(0, steps + 1, max(1, steps // 500))
    for label, schedule in schedules.items():
        ax.plot(xs, [schedule(x) for x in xs], label=label)
    ax.set(title=title, xlabel="env steps", ylabel="epsilon")
    ax.legend()
    return ax


def plot_q_table(q_table: np.ndarray, env: gym.Env, ax: Axes | None = None,
                 title: str = "Q-table: max Q per state, greedy action as arrow",
                 vmin: float | None = None, vmax: float | None = None, colorbar: bool = True) -> Axes:
    """Heatmap of ``max_a Q(s, a)`` on the grid of FrozenLake or CliffWalking, with greedy arrows.

    States whose Q-values are all equal (holes, cliff, goal, never visited) are left blank:
    they were never updated, and their zeros would otherwise look like real values.
    Start (S), goal (G), hole (H) and cliff (C) cells are labelled; the axes are the grid's
    columns and rows. ``vmin`` and ``vmax`` fix the colour scale (by default it spans this
    table's values): give two panels the same ``vmin``/``vmax``, pass ``colorbar=False`` and
    draw one shared colour bar from ``ax.images[0]`` to compare them.
    Introduced in `01_q_learning_basics.ipynb`.
    """
    unwrapped = env.unwrapped
    name = env.spec.id.split("-")[0] if env.spec is not None else type(unwrapped).__name__
    if name not in GRID_ARROWS:
        raise DQNHelpersError(f"plot_q_table knows FrozenLake and CliffWalking grids, not {name}.")
    labels = grid_labels(unwrapped)
    shape = labels.shape
    q_table = np.asarray(q_table, dtype=float)
    expected = (labels.size, len(GRID_ARROWS[name]))
    if q_table.shape != expected:
        raise DQNHelpersError(f"q_table must have shape {expected} (states, actions) for this {name}, got {q_table.shape}.")
    learned = np.ptp(q_table, axis=1) > 0
    values = np.where(learned, q_table.max(axis=1), np.nan).reshape(shape)
    ax = ax if ax is not None else plt.subplots(figsize=(max(5, shape[1] * 0.7), max(3.5, shape[0] * 0.8)))[1]
    image = ax.imshow(values, cmap="viridis", vmin=vmin, vmax=vmax)
    if colorbar:
        plt.colorbar(image, ax=ax, label=r"$\mathrm{max}_a\, Q(s, a)$", shrink=0.8)
    for state in np.flatnonzero(learned):
        row, col = divmod(int(state), shape[1])
        dx, dy = GRID_ARROWS[name][int(np.argmax(q_table[state]))]
        ax.arrow(col - 0.25 * dx, row - 0.25 * dy, 0.3 * dx, 0.3 * dy, head_width=0.15, color="white")
    for (row, col), letter in np.ndenumerate(labels):
        if letter:
            ax.text(col + 0.3, row - 0.25, letter, color="red", fontsize=9, fontweight="bold", ha="center", va="center")
    ax.set_title(title, fontsize=10)
    ax.set(xlabel="column", ylabel="row", xticks=range(shape[1]), yticks=range(shape[0]))
    return ax


def grid_labels(unwrapped):
    """Letters of the special cells of a toy-text grid: S start, G goal, H hole, C cliff.

    Introduced in `01_q_learning_basics.ipynb`.
    """
    if hasattr(unwrapped, "desc"):  # FrozenLake: the map itself
        letters = unwrapped.desc.astype(str)
        return np.where(np.isin(letters, ["S", "G", "H"]), letters, "")
    labels = np.full(tuple(unwrapped.shape), "", dtype=object)  # CliffWalking
    labels[unwrapped._cliff] = "C"
    labels[np.unravel_index(unwrapped.start_state_index, labels.shape)] = "S"
    labels[-1, -1] = "G"
    return labels


def render_episode(policy, env_id: str, seed: int = 0, max_steps: int = 500, every: int = 1) -> list[np.ndarray]:
    """Frames (RGB arrays) of one greedy episode, keeping every ``every``-th frame.

    ``policy`` maps a batch of observations to actions (a ``DQNAgent``'s
    ``greedy_actions``, or the agent itself). Introduced in `05_greedy_evaluation.ipynb`.
    """
    from .evaluation import policy_function

    act = policy_function(policy)
    env = make_env(env_id, render_mode="rgb_array")
    try:
        obs, _ = env.reset(seed=seed)
        frames = [env.render()]
        for t in range(max_steps):
            obs, _, terminated, truncated, _ = env.step(int(act(obs[None])[0]))
            if (t + 1) % every == 0 or terminated or truncated:
                frames.append(env.render())
            if terminated or truncated:
                break
    finally:
        env.close()
    return frames


def animate_frames(frames: Sequence[np.ndarray], fps: float = 25, width_inches: float = 4.0) -> animation.FuncAnimation:
    """A matplotlib animation of RGB frames (the figure itself is closed, so it is not shown twice).

    In a notebook, display ``IPython.display.HTML(animate_frames(frames).to_jshtml())``.
    Introduced in `05_greedy_evaluation.ipynb`.
    """
    if len(frames) == 0:
        raise DQNHelpersError("frames is empty: there is nothing to animate (render_episode returns the frames).")
    height, width = frames[0].shape[:2]
    fig, ax = plt.subplots(figsize=(width_inches, width_inches * height / width), dpi=72)
    ax.set_axis_off()
    fig.subplots_adjust(0, 0, 1, 1)
    image = ax.imshow(frames[0])
    anim = animation.FuncAnimation(fig, lambda i: [image.set_data(frames[i])], frames=len(frames), interval=1000 / fps)
    plt.close(fig)
    return anim


def save_gif(frames: Sequence[np.ndarray], path: str | os.PathLike, fps: float = 25) -> str | os.PathLike:
    """Save RGB frames as an animated GIF (Pillow writer, no external program needed).

    Introduced in `05_greedy_evaluation.ipynb`.
    """
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise DQNHelpersError(f"Cannot write {path}: the folder {folder} does not exist.")
    animate_frames(frames, fps).save(str(path), writer=animation.PillowWriter(fps=fps))
    return path


def plot_stability(history, gamma: float, max_reward: float = 1.0) -> Figure:
    """Three views of DQN's (in)stability against env steps: the mean max-Q of each training call's
    batches, with the bound max_reward / (1 - gamma) that no Q-value can exceed when the episode
    would go on forever (a time limit is not a termination, so CartPole's values aim there); the
    gradient norm before clipping; and the greedy evaluations, whose swings show the policy changing.

    Introduced in `04_training_loop.ipynb`.
    """
    _checked_history(history, HISTORY_FIELDS + ("td_loss_steps", "mean_max_q", "grad_norms"))
    gamma = check_number("gamma", gamma, 0, 1, high_open=True)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    steps = history.td_loss_steps
    axes[0].plot(steps, history.mean_max_q, color="tab:brown", lw=1, label="mean of max_a Q(s, a; θ) over the batch")
    bound = max_reward / (1.0 - gamma)
    axes[0].axhline(bound, color="black", ls="--", lw=1, label=f"bound on Q: max_reward / (1 − γ) = {bound:g}")
    axes[0].set(title="Q-values grow", xlabel="env steps", ylabel="Q-value")
    axes[0].legend(fontsize=8, loc="lower right")
    axes[1].plot(steps, history.grad_norms, color="tab:gray", lw=1, label="global gradient norm (before clipping)")
    axes[1].set(title="Gradient norm per training call", xlabel="env steps", ylabel="norm", yscale="log")
    axes[1].legend(fontsize=8)
    if history.evaluations:
        ev_steps = [e["env_steps"] for e in history.evaluations]
        axes[2].plot(ev_steps, [e["mean"] for e in history.evaluations], "o-", color="tab:orange",
                     label="greedy evaluation (mean return)")
    if history.solve_threshold is not None:
        axes[2].axhline(history.solve_threshold, color="tab:green", ls="--", lw=1, label=f"threshold {history.solve_threshold:g}")
    axes[2].set(title="The greedy policy's return", xlabel="env steps", ylabel="episode return")
    axes[2].legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig
