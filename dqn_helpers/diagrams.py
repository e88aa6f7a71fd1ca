"""Diagrams of the course, drawn with matplotlib so they are code: easy to edit, and stored in a
notebook as an ordinary figure that JupyterLab, GitHub and Colab all show.

- ``draw_agent_env_loop``: the agent-environment loop (notebook 01);
- ``draw_dqn_data_flow``: how data flows through DQN, from the env to the optimizer (notebook 04);
- ``draw_schedule``: the timeline of one run's schedule for a given ``DQNConfig`` (notebook 04);
- ``draw_study``: how a study's seeds, sweeps and statistics fit together (notebook 06).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

BOX = dict(boxstyle="round,pad=0.02,rounding_size=0.03", linewidth=1.5)
COLOURS = {"env": "#dbe9f6", "agent": "#fde2c8", "data": "#e3f1dc", "net": "#efe0f4", "loss": "#fbe3e3"}


def _box(ax, xy, size, text, colour, fontsize=10):
    x, y = xy
    w, h = size
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, facecolor=colour, edgecolor="0.25", **BOX))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def _arrow(ax, start, end, text="", offset=(0.0, 0.0), rad=0.0, fontsize=9, style="-|>", colour="0.2", ls="-"):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=14, linewidth=1.4, color=colour,
                                 linestyle=ls, connectionstyle=f"arc3,rad={rad}", shrinkA=2, shrinkB=2))
    if text:
        mid = ((start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1])
        ax.text(*mid, text, ha="center", va="center", fontsize=fontsize,
                bbox=dict(facecolor="white", edgecolor="none", pad=1.0))


def _canvas(width, height, title):
    fig, ax = plt.subplots(figsize=(width, height))
    ax.set(xlim=(0, width), ylim=(0, height), title=title)
    ax.axis("off")
    return fig, ax


def draw_agent_env_loop():
    """The agent-environment loop: the agent acts, the env answers with a reward and the next obs.

    Introduced in `01_q_learning_basics.ipynb`.
    """
    fig, ax = _canvas(8.0, 2.4, "The agent-environment loop: one turn per time step t")
    _box(ax, (1.7, 1.2), (2.4, 1.1), "agent\npolicy: $a_t$ from $s_t$\n(e.g. $\\epsilon$-greedy on $Q$)", COLOURS["agent"])
    _box(ax, (6.3, 1.2), (2.4, 1.1), "environment\n(gymnasium env)", COLOURS["env"])
    _arrow(ax, (2.9, 1.6), (5.1, 1.6), "action $a_t$  (env.step(action))", offset=(0, 0.35), rad=-0.25)
    _arrow(ax, (5.1, 0.8), (2.9, 0.8), "next obs $s_{t+1}$, reward $r_{t+1}$,\nterminated, truncated",
           offset=(0, -0.45), rad=-0.25)
    fig.tight_layout()
    return fig


def draw_dqn_data_flow():
    """DQN's data flow: env -> replay buffer -> batch -> online and target networks -> TD target
    and loss -> optimizer, with the numbers of the pseudocode's lines. Introduced in `04_training_loop.ipynb`.
    """
    fig, ax = _canvas(11.0, 5.2, "DQN's data flow (numbers: lines of the pseudocode)")
    _box(ax, (1.3, 4.2), (2.0, 0.8), "env\n(CartPole-v1)", COLOURS["env"])
    _box(ax, (1.3, 1.2), (2.0, 1.0), "act (6)\n$\\epsilon$-greedy on\n$Q(s, \\cdot;\\theta)$", COLOURS["agent"])
    _box(ax, (4.2, 4.2), (2.2, 0.8), "replay_buffer (2, 8)\n$(s, a, r, s', \\mathrm{terminated})$", COLOURS["data"])
    _box(ax, (4.2, 2.5), (2.2, 0.8), "batch (12)\n$B$ uniform samples", COLOURS["data"])
    _box(ax, (7.0, 3.6), (2.2, 0.8), "target_network\n$\\mathrm{max}_{a'}\\,Q(s', a'; \\theta^-)$", COLOURS["net"])
    _box(ax, (7.0, 1.4), (2.2, 0.8), "q_network\n$Q(s, a; \\theta)$", COLOURS["net"])
    _box(ax, (9.7, 3.6), (2.2, 0.8), "TD target (13)\n$y = r + \\gamma\\,(1-$terminated$)\\,\\mathrm{max}$", COLOURS["loss"])
    _box(ax, (9.7, 2.2), (2.2, 0.8), "td_loss (14)\n$\\ell_\\kappa(y - Q(s, a;\\theta))$", COLOURS["loss"])
    _box(ax, (9.7, 0.7), (2.2, 0.7), "Adam step (14)\nclipped gradient", COLOURS["loss"])
    _arrow(ax, (1.3, 1.7), (1.3, 3.8), "action", offset=(-0.45, 0))
    _arrow(ax, (2.3, 4.2), (3.1, 4.2), "store (8)", offset=(0, 0.3))
    _arrow(ax, (4.2, 3.8), (4.2, 2.9), "sample (12)", offset=(0.5, 0))
    _arrow(ax, (5.3, 2.7), (5.9, 3.5), "$s'$", offset=(-0.15, 0.15))
    _arrow(ax, (5.3, 2.3), (5.9, 1.5), "$s, a$", offset=(-0.1, -0.2))
    _arrow(ax, (8.1, 3.6), (8.6, 3.6))
    _arrow(ax, (9.7, 3.2), (9.7, 2.6), "$y$ (no gradient)", offset=(0.75, 0))
    _arrow(ax, (8.1, 1.4), (8.6, 2.0), "$Q(s,a;\\theta)$", offset=(0.35, -0.25))
    _arrow(ax, (9.7, 1.8), (9.7, 1.05))
    _arrow(ax, (8.6, 0.7), (7.6, 1.0), "update $\\theta$", offset=(0.1, -0.25))
    _arrow(ax, (6.6, 1.8), (6.6, 3.2), "copy $\\theta^- \\leftarrow \\theta$ (15)", offset=(0.8, 0), ls="--")
    _arrow(ax, (5.9, 1.2), (2.3, 1.2), "weights $\\theta$ to act with", offset=(0, -0.28), ls="--")
    _arrow(ax, (1.7, 3.8), (1.7, 1.7), "obs", offset=(0.3, 0))
    fig.tight_layout()
    return fig


def draw_schedule(config, steps: int | None = None):
    """A timeline of one run's schedule for ``config``: epsilon, training bursts of
    ``gradient_steps``, target-network copies and evaluations, over the first ``steps`` env steps.

    Introduced in `04_training_loop.ipynb`.
    """
    steps = steps or min(config.total_steps, config.learning_starts + 6 * config.train_freq + config.eval_every)
    fig, (ax_eps, ax_events) = plt.subplots(2, 1, figsize=(12, 3.8), sharex=True, height_ratios=(1, 1.3))
    t = range(0, steps + 1)
    ax_eps.plot(t, [config.epsilon(s) for s in t], color="tab:purple")
    ax_eps.axvspan(0, config.learning_starts, color="0.9", label=f"before learning_starts ({config.learning_starts}): act and store only")
    ax_eps.set(ylabel="epsilon", ylim=(0, 1.05), title=f"One run's schedule, first {steps:,} env steps")
    ax_eps.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    rows = {"training burst": 2, "target copy": 1, "evaluation": 0}
    trains = [s for s in range(1, steps + 1) if s > config.learning_starts and s % config.train_freq == 0]
    copies = [s for s in range(1, steps + 1) if s % config.target_update_interval == 0]
    evals = [s for s in range(1, steps + 1) if config.eval_every and s % config.eval_every == 0]
    ax_events.scatter(trains, [rows["training burst"]] * len(trains), marker="s", s=60, color="tab:red",
                      label=f"training call: {config.gradient_steps} gradient steps (every {config.train_freq} env steps)")
    ax_events.scatter(copies, [rows["target copy"]] * len(copies), marker="v", s=60, color="tab:blue",
                      label=f"target copy θ⁻ ← θ (every {config.target_update_interval} env steps)")
    ax_events.scatter(evals, [rows["evaluation"]] * len(evals), marker="*", s=140, color="tab:green",
                      label=f"greedy evaluation, {config.eval_episodes} episodes (every {config.eval_every} env steps)")
    ax_events.set(yticks=list(rows.values()), yticklabels=list(rows), ylim=(-0.7, 2.7), xlabel="env steps", xlim=(0, steps))
    ax_events.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    fig.tight_layout()
    return fig


def draw_study(record):
    """How a study's runs become verdicts: which seeds do what, from tuning to rliable's statistics.

    ``record`` is the record of a committed study (``dqn_helpers.study.load_study``): the seeds
    and the number of settings tried come from it. Introduced in `06_beyond_vanilla_dqn.ipynb`.
    """
    tuning = record["sweeps"]["cartpole_tuning"]["grid"]
    comparison = record["sweeps"]["cartpole"]["grid"]
    n_variants = len(record["tuned"])
    fig, ax = _canvas(12.0, 4.4, "The study: settings chosen on some seeds, compared on others")
    _box(ax, (1.5, 3.5), (2.6, 0.9), "vanilla's settings\ntuned on seeds 0-19\n(benchmarks/population.py)", COLOURS["agent"], 9)
    _box(ax, (1.5, 1.9), (2.6, 0.9), f"tuning sweep, seeds {tuning['seeds']}:\n{n_variants} variants x their\n"
         f"candidate settings ({len(tuning['variants'])})", COLOURS["agent"], 9)
    _box(ax, (4.6, 1.9), (2.4, 0.9), "each variant's best\nsettings: highest IQM\nof the AUC", COLOURS["agent"], 9)
    _box(ax, (4.6, 0.5), (2.4, 0.7), f"comparison sweep,\nseeds {comparison['seeds']}", COLOURS["env"], 9)
    _box(ax, (7.5, 0.5), (2.4, 0.7), "results.csv: a row per run per\nevaluation, and per final agent", COLOURS["data"], 9)
    _box(ax, (7.5, 1.9), (2.4, 0.9), "trial_scores: per run,\nAUC and final return\n(normalized 0-1)", COLOURS["data"], 9)
    _box(ax, (10.4, 1.9), (2.6, 0.9), "rliable: IQM with 95%\nbootstrap CIs, performance\nprofiles, P(X > vanilla)", COLOURS["net"], 9)
    _box(ax, (10.4, 3.5), (2.6, 0.8), "a verdict per variant:\nclear, absent or small,\nunclear", COLOURS["loss"], 9)
    _arrow(ax, (2.8, 3.3), (4.1, 0.9), "vanilla's settings", offset=(0.2, 0.9), rad=-0.15)
    _arrow(ax, (2.8, 1.9), (3.4, 1.9))
    _arrow(ax, (4.6, 1.45), (4.6, 0.85), "own settings", offset=(0.55, 0))
    _arrow(ax, (5.8, 0.5), (6.3, 0.5))
    _arrow(ax, (7.5, 0.85), (7.5, 1.45))
    _arrow(ax, (8.7, 1.9), (9.1, 1.9))
    _arrow(ax, (10.4, 2.35), (10.4, 3.1))
    fig.tight_layout()
    return fig
