"""The DQN training loop."""
from __future__ import annotations

import csv
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .config import DQNConfig
from .envs import EnvLike, check_dqn_env, env_factory, make_env, obs_dim_and_actions
from .errors import DQNHelpersError
from .evaluation import evaluate
from .progress import progress_bar
from .replay_buffer import ReplayBuffer
from .seeding import seed_everything

if TYPE_CHECKING:  # the agent needs TensorFlow: imported when train runs, not with this module
    from .agent import DQNAgent


@dataclass
class History:
    """What happened during training: one entry per episode, per training call, per evaluation.

    Introduced in `04_training_loop.ipynb`.
    """

    env_id: str = ""
    seed: int = 0
    episode_returns: list[float] = field(default_factory=list)
    episode_lengths: list[int] = field(default_factory=list)
    episode_end_steps: list[int] = field(default_factory=list)  # env_steps when each episode ended
    episode_epsilons: list[float] = field(default_factory=list)  # epsilon at each episode's end
    td_losses: list[float] = field(default_factory=list)  # mean TD loss of each training call
    td_loss_steps: list[int] = field(default_factory=list)  # env_steps of each training call
    mean_max_q: list[float] = field(default_factory=list)  # mean over the call's batches of max_a Q(s, a; θ)
    grad_norms: list[float] = field(default_factory=list)  # mean global gradient norm (before clipping) of each call
    evaluations: list[dict[str, Any]] = field(default_factory=list)  # env_steps, mean, std, confirm_mean, solved
    env_steps: int = 0
    gradient_steps: int = 0
    wall_seconds: float = 0.0
    solve_threshold: float | None = None
    solved: bool = False
    interrupted: bool = False

    @property
    def solved_at(self) -> int | None:
        """Env steps at the evaluation that solved the env (threshold reached and confirmed), or None."""
        for evaluation in self.evaluations:
            if evaluation["solved"]:
                return evaluation["env_steps"]
        return None

    @property
    def steps_per_second(self) -> float:
        return self.env_steps / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def episode_rows(self) -> list[dict[str, Any]]:
        """One dict per episode: episode, env_steps, episode_return, episode_length, epsilon, td_loss, mean_max_q.

        ``td_loss`` and ``mean_max_q`` are means over the training calls made during that
        episode (empty before learning starts).
        """
        rows, loss_index = [], 0
        for n, (end, ret, length, eps) in enumerate(
            zip(self.episode_end_steps, self.episode_returns, self.episode_lengths, self.episode_epsilons)
        ):
            losses, max_qs = [], []
            while loss_index < len(self.td_loss_steps) and self.td_loss_steps[loss_index] <= end:
                losses.append(self.td_losses[loss_index])
                if loss_index < len(self.mean_max_q):
                    max_qs.append(self.mean_max_q[loss_index])
                loss_index += 1
            rows.append({
                "episode": n + 1, "env_steps": end, "episode_return": ret, "episode_length": length,
                "epsilon": round(eps, 6), "td_loss": float(np.mean(losses)) if losses else "",
                "mean_max_q": float(np.mean(max_qs)) if max_qs else "",
            })
        return rows

    def write_csv(self, path) -> None:
        """Write ``episode_rows()`` as CSV."""
        rows = self.episode_rows()
        names = ["episode", "env_steps", "episode_return", "episode_length", "epsilon", "td_loss", "mean_max_q"]
        with open(path, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=names)
            writer.writeheader()
            writer.writerows(rows)


def train(env: EnvLike, config: DQNConfig | None = None, seed: int = 0, progress: bool = True,
          eval_env: EnvLike | None = None) -> tuple[DQNAgent, History]:
    """Train a DQN agent on ``env`` (an id or a gymnasium env); returns ``(agent, history)``.

    The loop, step by step, as in the DQN paper:

    1. act epsilon-greedily with the current Q-network;
    2. store ``(obs, action, reward, next_obs, terminated)`` in the replay buffer;
    3. after ``learning_starts`` steps, every ``train_freq`` steps, make
       ``gradient_steps`` gradient steps on random batches;
    4. every ``target_update_interval`` steps, update the target network;
    5. every ``eval_every`` steps, evaluate greedily on fixed seeds and stop once the
       mean reaches the solve threshold.

    Evaluation runs on fresh envs built the way ``evaluate`` builds them (``envs.env_factory``):
    from ``eval_env`` if given (an id, a spec, or a function returning a new env), else from
    ``env`` (its id, or its spec with the wrappers gymnasium can rebuild). An env that cannot
    be rebuilt (built without ``gymnasium.make``, or with a wrapper that does not record its
    arguments) is refused before training starts, with a sentence saying to pass ``eval_env``.

    Seeds everything with ``seed`` (``seed_everything``, TensorFlow's deterministic ops
    included). Ctrl-C (KeyboardInterrupt) stops training and returns what was learned so far,
    with ``history.interrupted`` set. A loss or weight that stops being finite raises
    ``TrainingDivergedError``. Introduced in `04_training_loop.ipynb`.
    """
    from .agent import DQNAgent

    config = config if config is not None else DQNConfig()
    if not isinstance(config, DQNConfig):
        raise DQNHelpersError(f"config must be a DQNConfig, got {type(config).__name__}; build one with DQNConfig(...).")
    if not isinstance(progress, bool):
        raise DQNHelpersError(f"progress must be True or False, got {progress!r}.")
    if isinstance(env, str):
        env = make_env(env)
    else:
        check_dqn_env(env)
    spec = env.spec
    make_eval_env = None
    if config.eval_every:  # refuse an env it cannot evaluate on now, not at the first evaluation
        make_eval_env = env_factory(eval_env if eval_env is not None else env)
    threshold = config.solve_threshold
    if threshold is None and spec is not None:
        threshold = spec.reward_threshold
    rng = seed_everything(seed, env)
    obs_dim, n_actions = obs_dim_and_actions(env)
    agent = DQNAgent(obs_dim, n_actions, config)
    replay_buffer = ReplayBuffer(config.buffer_size, env.observation_space.shape, rng)
    history = History(env_id=spec.id if spec else "", seed=seed, solve_threshold=threshold)

    obs, _ = env.reset(seed=seed)
    episode_return, episode_length = 0.0, 0
    start = time.perf_counter()
    bar = progress_bar(total=config.total_steps, unit="step", disable=not progress, desc=history.env_id or "train")
    try:
        # Inside the scope the agent acts from one NumPy copy of its weights, which only
        # train_on_batch changes (and refreshes), and NumPy's BLAS uses one thread.
        with agent._acting_scope():
            for step in range(1, config.total_steps + 1):
                # 1. act
                epsilon = config.epsilon(step)
                action = agent.act(obs, epsilon, rng)
                next_obs, reward, terminated, truncated, _ = env.step(action)
                # 2. store: terminated (the pole fell) ends the return; truncated (time limit) does not.
                ended = terminated or (truncated and config.truncation_as_termination)
                replay_buffer.add(obs, action, reward, next_obs, ended)
                obs = next_obs
                episode_return += float(reward)
                episode_length += 1
                history.env_steps = step

                if terminated or truncated:
                    history.episode_returns.append(episode_return)
                    history.episode_lengths.append(episode_length)
                    history.episode_end_steps.append(step)
                    history.episode_epsilons.append(epsilon)
                    bar.update(step - bar.n)
                    bar.set_postfix(episode_return=episode_return, epsilon=round(epsilon, 3), refresh=False)
                    obs, _ = env.reset()
                    episode_return, episode_length = 0.0, 0

                # 3. learn
                if step > config.learning_starts and step % config.train_freq == 0:
                    batch = replay_buffer.sample(config.batch_size, n_batches=config.gradient_steps)
                    history.td_losses.append(agent.train_on_batch(batch))
                    history.td_loss_steps.append(step)
                    history.mean_max_q.append(agent.last_stats["mean_max_q"])
                    history.grad_norms.append(agent.last_stats["grad_norm"])
                    history.gradient_steps += config.gradient_steps

                # 4. move the target network
                if step % config.target_update_interval == 0:
                    agent.update_target()

                # 5. evaluate, and stop once solved
                if make_eval_env is not None and step % config.eval_every == 0:
                    evaluation = evaluate_for_stopping(agent, make_eval_env, config, threshold)
                    evaluation["env_steps"] = step
                    history.evaluations.append(evaluation)
                    bar.set_postfix(eval_mean=round(evaluation["mean"], 1), refresh=False)
                    if evaluation["solved"]:
                        history.solved = True
                        break
    except KeyboardInterrupt:
        history.interrupted = True
    finally:
        history.wall_seconds = time.perf_counter() - start
        bar.update(history.env_steps - bar.n)
        if history.solved:  # stopped early on purpose: a full, green bar, not a red one
            bar.finish_early(f"solved, eval_mean={history.evaluations[-1]['mean']:.1f}")
        bar.close()
    return agent, history


def evaluate_for_stopping(agent: DQNAgent, env: EnvLike, config: DQNConfig, threshold: float | None) -> dict[str, Any]:
    """The periodic evaluation of ``train``: ``eval_episodes`` fixed-seed greedy episodes.

    A mean at the threshold on 20 episodes can be luck, and so can a mean just above it on
    more: the run stops only if a confirmation on ``confirm_episodes`` further fixed seeds
    puts a one-sided lower confidence bound on the policy's average above the threshold (its
    mean minus two standard errors: about 97.7% coverage under a normal approximation). Returns a dict with ``mean``, ``std`` (of the 20 episodes),
    ``confirm_mean`` (None when not needed) and ``solved``. Introduced in `04_training_loop.ipynb`.
    """
    return stopping_rule(lambda n, seed: evaluate(agent, env, n, seed).returns, config, threshold)


def stopping_rule(episode_returns, config: DQNConfig, threshold: float | None) -> dict[str, Any]:
    """``evaluate_for_stopping``'s decision, given ``episode_returns(n, seed)``: the returns of n greedy episodes from seed on.

    ``train_population`` gives it returns computed for all its members at once.
    """
    returns = np.asarray(episode_returns(config.eval_episodes, config.eval_seed), dtype=float)
    evaluation = {"mean": float(returns.mean()), "std": float(returns.std()), "confirm_mean": None, "solved": False}
    if threshold is None or evaluation["mean"] < threshold:
        return evaluation
    if config.confirm_episodes:
        confirmation = np.asarray(episode_returns(config.confirm_episodes, config.eval_seed + config.eval_episodes), dtype=float)
        standard_error = confirmation.std() / np.sqrt(config.confirm_episodes)
        evaluation["confirm_mean"] = float(confirmation.mean())
        evaluation["solved"] = bool(confirmation.mean() - 2 * standard_error >= threshold)
    else:
        evaluation["solved"] = True
    return evaluation
