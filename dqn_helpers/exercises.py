"""Checkers for the notebooks' coding exercises.

Each ``check_*`` function runs the student's function on small cases chosen to catch the
usual mistakes, prints one line of feedback (what is wrong and what to change, or a short
success message) and returns a ``Verdict``, which is truthy when the function passed. A
function that still raises ``NotImplementedError`` (an untouched stub) gets "not done yet"
rather than an error.

When grading, a checker raises instead, so that the grader counts the test as failed: under
nbgrader's autograder and validator (which set ``NBGRADER_EXECUTION``), or when asked to with
``DQN_HELPERS_CHECKS_RAISE=1`` (any CI of one's own). It still prints its line first, then raises
``ExerciseNotPassed`` (an ``AssertionError``) with the same sentence.
"""
import os
import warnings

import numpy as np

from .evaluation import evaluate


class Mistake(Exception):
    """Raised inside a checker with the feedback for the student."""


class ExerciseNotPassed(AssertionError):
    """What a checker raises when grading and the function has not passed; its message is the feedback."""


def grading():
    """Whether checkers raise on a function that has not passed (see the module's docstring)."""
    return bool(os.environ.get("NBGRADER_EXECUTION")) or os.environ.get("DQN_HELPERS_CHECKS_RAISE", "0") not in ("", "0")


class Verdict:
    """What a checker returns: ``bool(verdict)`` says whether the function passed.

    The feedback line is already printed, so in a notebook the verdict itself displays
    nothing (no stray ``True`` under the message).
    """

    def __init__(self, passed):
        self.passed = bool(passed)

    def __bool__(self):
        return self.passed

    def __eq__(self, other):
        return bool(self) == bool(other) if isinstance(other, (bool, Verdict)) else NotImplemented

    def __hash__(self):
        return hash(self.passed)

    def __repr__(self):
        return f"Verdict(passed={self.passed})"

    def _ipython_display_(self):
        pass


def _report(name, check):
    try:
        check()
    except NotImplementedError:
        return _failed(f"{name}: not done yet. Replace `raise NotImplementedError` with your code, then run this cell again.")
    except Mistake as mistake:
        return _failed(f"{name}: not yet right. {mistake}")
    except Exception as exc:  # the student's code crashed: say where, not a traceback
        return _failed(f"{name}: your function raised {type(exc).__name__}: {exc}")
    print(f"{name}: correct.")
    return Verdict(True)


def _failed(feedback):
    print(feedback)
    if grading():
        raise ExerciseNotPassed(feedback) from None  # the feedback says it all: no chained traceback
    return Verdict(False)


def _close(a, b):
    return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-5, atol=1e-6)


# ----- 01 -------------------------------------------------------------------------------
def check_q_learning_update(q_learning_update):
    """Check ``q_learning_update(q_table, obs, action, reward, next_obs, terminated, alpha, gamma)``.

    It must update ``q_table`` in place. Introduced in `01_q_learning_basics.ipynb`.
    """

    def check():
        q_table = np.zeros((3, 2))
        q_table[1] = [0.5, 2.0]
        q_learning_update(q_table, 0, 1, 1.0, 1, False, 0.1, 0.9)
        value = q_table[0, 1]
        if value == 0.0:
            raise Mistake("The table did not change: write the new value into q_table[obs, action].")
        if _close(value, 0.1):
            raise Mistake("Your target ignores the future: it is r + gamma * max_a' Q(next_obs, a').")
        if _close(value, 0.1 * (1.0 + 0.9 * 0.5)):
            raise Mistake("Use the max over next actions, max_a' Q(next_obs, a'), not the min or one fixed action.")
        if _close(value, 2.8):
            raise Mistake("You replaced Q(obs, action) by the target; move it only a fraction alpha of the way.")
        if not _close(value, 0.28):
            raise Mistake(f"Q(0, 1) should become 0 + 0.1 * (1 + 0.9 * 2.0 - 0) = 0.28, got {value:.4g}.")
        if np.count_nonzero(q_table) != 3:
            raise Mistake("Only Q(obs, action) may change; other entries of the table changed too.")
        q_table = np.zeros((3, 2))
        q_table[2] = [10.0, 10.0]
        q_learning_update(q_table, 0, 0, 1.0, 2, True, 0.5, 0.9)
        if _close(q_table[0, 0], 0.5 * (1.0 + 0.9 * 10.0)):
            raise Mistake("Your target bootstraps through a terminal step: when terminated, the target is just r.")
        if not _close(q_table[0, 0], 0.5):
            raise Mistake(f"After a terminal step Q(0, 0) should become 0.5 * (1 - 0) = 0.5, got {q_table[0, 0]:.4g}.")

    return _report("Q-learning update", check)


def check_epsilon_greedy(epsilon_greedy):
    """Check ``epsilon_greedy(q_row, epsilon, rng) -> action``. Introduced in `01_q_learning_basics.ipynb`."""

    def check():
        rng = np.random.default_rng(0)
        q_row = np.array([0.0, 3.0, 1.0])
        greedy = {int(epsilon_greedy(q_row, 0.0, rng)) for _ in range(100)}
        if greedy != {1}:
            raise Mistake(f"With epsilon = 0 the action must always be the greedy one (1 here), got {sorted(greedy)}.")
        actions = np.array([int(epsilon_greedy(q_row, 1.0, rng)) for _ in range(3000)])
        counts = np.bincount(actions, minlength=3)
        if len(counts) > 3 or counts.min() == 0:
            raise Mistake("With epsilon = 1 every action must be possible: draw uniformly among all actions.")
        if counts.min() < 800:
            raise Mistake(f"With epsilon = 1 the actions should be equally likely, got counts {counts.tolist()} out of 3000.")
        share = np.mean([int(epsilon_greedy(q_row, 0.3, rng)) == 1 for _ in range(3000)])
        if not 0.73 < share < 0.87:  # 0.7 greedy + 0.3 * 1/3 random picks of the greedy action = 0.8
            raise Mistake(f"With epsilon = 0.3 the greedy action should come about 80% of the time, got {share:.0%}.")
        ties = {int(epsilon_greedy(np.zeros(4), 0.0, rng)) for _ in range(200)}
        if len(ties) == 1:
            raise Mistake("Equal Q-values always give the same action: break ties at random (np.argmax picks the first).")

    return _report("epsilon-greedy", check)


# ----- 02 / 03 --------------------------------------------------------------------------
def check_td_targets(td_targets):
    """Check ``td_targets(rewards, next_q_target, terminated, truncated, gamma) -> targets``.

    Introduced in `02_keras_q_network.ipynb`.
    """

    def check():
        rewards = np.array([1.0, 1.0, 1.0])
        next_q = np.array([[2.0, 5.0], [2.0, 5.0], [3.0, 1.0]])
        terminated = np.array([1.0, 0.0, 0.0])
        truncated = np.array([0.0, 1.0, 0.0])
        targets = np.asarray(td_targets(rewards, next_q, terminated, truncated, 0.9), dtype=float)
        if targets.shape != (3,):
            raise Mistake(f"Return one target per transition, shape (3,), got shape {targets.shape}.")
        if _close(targets[0], 1.0 + 0.9 * 5.0):
            raise Mistake("Your target bootstraps through a terminal step: multiply the future by (1 - terminated).")
        if _close(targets[1], 1.0):
            raise Mistake("Your target stops at a time-limit truncation: the episode was cut, not ended, so bootstrap "
                          "through truncated transitions and mask only terminated ones.")
        if _close(targets[2], 1.0 + 0.9 * 1.0) or _close(targets[1], 1.0 + 0.9 * 2.0):
            raise Mistake("Use the max over next actions, max_a' Q(next_obs, a').")
        if not _close(targets, [1.0, 5.5, 3.7]):
            raise Mistake(f"Expected [1.0, 5.5, 3.7] for this batch, got {np.round(targets, 4).tolist()}.")

    return _report("TD targets", check)


def check_huber_loss(huber_loss):
    """Check ``huber_loss(td_errors, kappa=1.0) -> one loss per TD error``. Introduced in `02_keras_q_network.ipynb`."""

    def check():
        errors = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 2.0])
        losses = np.asarray(huber_loss(errors, 1.0), dtype=float)
        if losses.shape != errors.shape:
            raise Mistake(f"Return one loss per TD error (shape {errors.shape}), not their mean, got shape {losses.shape}.")
        if losses[0] < 0:
            raise Mistake("A negative TD error gave a negative loss: use |delta|, a miss in either direction costs.")
        if _close(losses, 0.5 * errors**2):
            raise Mistake("That is the squared error everywhere: for |delta| > kappa the loss must grow only linearly, "
                          "kappa * (|delta| - kappa / 2).")
        if _close(losses[2], 0.25):
            raise Mistake("The quadratic part is 0.5 * delta**2 (its slope at delta is delta), you left out the 0.5.")
        if _close(losses[0], 3.0):
            raise Mistake("The linear part is kappa * (|delta| - kappa / 2): without - kappa / 2 the loss jumps at |delta| = kappa.")
        if not _close(losses, [2.5, 0.5, 0.125, 0.0, 0.125, 1.5]):
            raise Mistake(f"With kappa = 1, expected [2.5, 0.5, 0.125, 0.0, 0.125, 1.5], got {np.round(losses, 4).tolist()}.")
        wide = np.asarray(huber_loss(np.array([3.0, -1.0]), 2.0), dtype=float)
        if not _close(wide, [4.0, 0.5]):
            raise Mistake(f"With kappa = 2, TD errors [3, -1] should cost [4.0, 0.5], got {np.round(wide, 4).tolist()}: "
                          "use the kappa argument, not a fixed 1.")

    return _report("Huber loss", check)


def check_ring_buffer(buffer_class):
    """Check a ring buffer class: ``buffer_class(capacity, obs_dim)`` with ``add(obs, action,
    reward, next_obs, terminated)``, ``len()``, and arrays ``obs`` and ``rewards``.

    Introduced in `03_replay_buffer.ipynb`.
    """

    def check():
        buffer = buffer_class(3, 2)
        for i in range(5):
            try:
                buffer.add(np.full(2, float(i)), i % 2, float(i), np.full(2, i + 0.5), False)
            except IndexError:
                raise Mistake("Writing past the end of the arrays: the write position must wrap around "
                              "(position = (position + 1) % capacity).") from None
            if len(buffer) != min(i + 1, 3):
                raise Mistake(f"After {i + 1} adds to a buffer of capacity 3, len() should be {min(i + 1, 3)}, got {len(buffer)}.")
        stored = sorted(np.asarray(buffer.rewards, dtype=float).tolist())
        if stored != [2.0, 3.0, 4.0]:
            raise Mistake(f"After 5 adds the buffer should hold the 3 newest transitions (rewards 2, 3, 4), got {stored}: "
                          "overwrite the oldest one.")
        rows = np.asarray(buffer.obs, dtype=float)[:, 0]
        if sorted(rows.tolist()) != [2.0, 3.0, 4.0] or not np.array_equal(rows, np.asarray(buffer.rewards, dtype=float)):
            raise Mistake("obs and rewards of one transition must land in the same row.")

    return _report("ring buffer", check)


def check_ring_buffer_sample(buffer_class):
    """Check ``buffer_class(capacity, obs_dim).sample(batch_size)``: a dict of arrays ``obs``,
    ``actions``, ``rewards``, ``next_obs``, ``terminated`` drawn uniformly from the stored
    transitions, and a ``ValueError`` that says why when the buffer holds fewer than a batch.

    Introduced in `03_replay_buffer.ipynb`.
    """

    def fill(buffer, first, last):
        for i in range(first, last + 1):  # reward i, obs [i, i], next_obs [i + 0.5, i + 0.5]
            buffer.add(np.full(2, float(i)), i % 2, float(i), np.full(2, i + 0.5), False)

    def draws(buffer, batch_size, n_batches=200):
        batches = [buffer.sample(batch_size) for _ in range(n_batches)]
        missing = {"obs", "actions", "rewards", "next_obs", "terminated"} - set(batches[0])
        if missing:
            raise Mistake(f"The batch has no {sorted(missing)}: return a dict with keys obs, actions, rewards, next_obs, terminated.")
        for batch in batches:
            rewards, obs = np.asarray(batch["rewards"], dtype=float), np.asarray(batch["obs"], dtype=float)
            if rewards.shape != (batch_size,) or obs.shape != (batch_size, 2):
                raise Mistake(f"A batch of {batch_size} should have rewards of shape ({batch_size},) and obs of shape "
                              f"({batch_size}, 2), got {rewards.shape} and {obs.shape}.")
            if np.any(rewards == 0):
                raise Mistake("Your batch holds rows that were never written (reward 0): draw row indices from "
                              "range(len(self)), not range(capacity).")
            if not (np.array_equal(obs[:, 0], rewards) and np.array_equal(np.asarray(batch["next_obs"], dtype=float)[:, 0], rewards + 0.5)):
                raise Mistake("The fields of one batch row come from different transitions: index every array with the same rows.")
        return np.concatenate([np.asarray(b["rewards"], dtype=float) for b in batches])

    def check():
        buffer = buffer_class(100, 2)
        fill(buffer, 1, 5)
        try:
            buffer.sample(8)
        except ValueError as exc:
            if "5" not in str(exc):
                raise Mistake(f"Good, a ValueError; now make its message say how many transitions the buffer holds (5) "
                              f"and how many were asked for (8). It said: {str(exc) or '(nothing)'}") from None
        except NotImplementedError:
            raise
        except Exception as exc:
            raise Mistake(f"sample(8) from 5 stored transitions raised {type(exc).__name__}; raise a ValueError "
                          "that says the buffer holds fewer transitions than a batch.") from None
        else:
            raise Mistake("sample(8) from a buffer holding 5 transitions returned a batch: raise a ValueError that "
                          "says how many transitions it holds: the classic snippet's crash (line 25), with a clearer message.")
        fill(buffer, 6, 20)
        seen = draws(buffer, 16)
        if set(seen) != set(range(1, 21)):
            raise Mistake(f"Some stored transitions are never sampled (only {len(set(seen))} of 20 turned up in 3200 draws): "
                          "draw uniformly among all len(self) rows.")
        wrapped = buffer_class(10, 2)
        fill(wrapped, 1, 25)
        try:
            seen = draws(wrapped, 10)
        except ValueError:
            raise Mistake("After the buffer wrapped around it holds `capacity` transitions: len(self) must stay 10, "
                          "and sample(10) must work.") from None
        if set(seen) != set(range(16, 26)):
            raise Mistake(f"After 25 adds to a buffer of capacity 10, batches should come from the 10 newest transitions "
                          f"(rewards 16-25), got rewards {sorted(set(seen.astype(int).tolist()))}.")

    return _report("ring buffer sample", check)


# ----- 04 -------------------------------------------------------------------------------
def check_linear_schedule(linear_schedule):
    """Check ``linear_schedule(step, start, end, decay_steps) -> epsilon``. Introduced in `04_training_loop.ipynb`."""

    def check():
        values = [float(linear_schedule(step, 1.0, 0.05, 1000)) for step in (0, 250, 500, 1000, 5000)]
        if values[-1] > values[0]:
            raise Mistake("Your epsilon grows: it must decay from start to end (the classic snippet's mistake, line 18).")
        if not _close(values[0], 1.0):
            raise Mistake(f"At step 0 epsilon must equal start (1.0), got {values[0]:.4g}.")
        if not _close(values[3], 0.05):
            raise Mistake(f"Epsilon never reaches its final value: at step decay_steps it should be end (0.05), got {values[3]:.4g}.")
        if not _close(values[4], 0.05):
            raise Mistake(f"After decay_steps epsilon must stay at end (0.05), got {values[4]:.4g} at step 5000.")
        if not _close(values[2], 0.525):
            raise Mistake(f"Half-way the straight line is at (1.0 + 0.05) / 2 = 0.525, got {values[2]:.4g}.")

    return _report("linear schedule", check)


def check_greedy_evaluation(evaluate_policy):
    """Check ``evaluate_policy(policy, env_id, n_episodes, seed) -> list of episode returns``,
    where ``policy(obs) -> action`` and episode i is reset with seed ``seed + i``.

    Introduced in `05_greedy_evaluation.ipynb`.
    """

    def lean(obs):  # a fixed, imperfect controller (episodes of 150-270 steps): push where the pole falls
        return int(obs[3] > 0)

    def check():
        returns = np.asarray(evaluate_policy(lean, "CartPole-v1", 5, 123), dtype=float)
        expected = evaluate(lambda batch: [lean(o) for o in batch], "CartPole-v1", n_episodes=5, seed=123).returns
        if returns.shape != (5,):
            raise Mistake(f"Return one return per episode (5 here), got {returns.shape[0] if returns.ndim else 'a single number'}.")
        if np.all(returns == returns[0]) and not np.all(expected == expected[0]):
            raise Mistake("Every episode gave the same return: reset episode i with seed + i, not one seed for all.")
        if returns.max() > 500:
            raise Mistake("An episode ran past CartPole-v1's 500-step limit: stop when terminated or truncated.")
        if not np.array_equal(returns, expected):
            raise Mistake(f"Expected returns {expected.tolist()} (episode i reset with seed + i, greedy actions, "
                          f"stop at terminated or truncated), got {returns.tolist()}.")

    return _report("greedy evaluation", check)


# ----- 06 -------------------------------------------------------------------------------
def check_double_td_targets(double_td_targets):
    """Check ``double_td_targets(rewards, next_q_online, next_q_target, terminated, gamma)``.

    Introduced in `06_beyond_vanilla_dqn.ipynb`.
    """

    def check():
        rewards = np.array([1.0, 1.0, 0.5])
        online = np.array([[1.0, 3.0], [2.0, 0.0], [9.0, 1.0]])
        target = np.array([[4.0, 2.0], [5.0, 7.0], [6.0, 8.0]])
        terminated = np.array([0.0, 0.0, 1.0])
        targets = np.asarray(double_td_targets(rewards, online, target, terminated, 0.5), dtype=float)
        if _close(targets[:2], [1.0 + 0.5 * 4.0, 1.0 + 0.5 * 7.0]):
            raise Mistake("That is the plain DQN target (max of the target network): let the online network choose "
                          "the action, argmax_a Q(s', a; θ), and the target network value it.")
        if _close(targets[:2], [1.0 + 0.5 * 3.0, 1.0 + 0.5 * 2.0]):
            raise Mistake("You valued the chosen action with the online network: take its value from the target network.")
        if _close(targets[2], 0.5 + 0.5 * 6.0):
            raise Mistake("Your target bootstraps through a terminal step: multiply the future by (1 - terminated).")
        if not _close(targets, [2.0, 3.5, 0.5]):
            raise Mistake(f"Expected [2.0, 3.5, 0.5] for this batch, got {np.round(targets, 4).tolist()}.")

    return _report("Double DQN target", check)


# ----- 04: the whole training loop --------------------------------------------------------
# The learner's loop runs on the same seed as ``train`` with components that record what the
# loop does with them (the env's steps and resets, every action's epsilon, every transition
# stored, every training call, every target update). If its episode returns and TD losses match
# ``train``'s exactly, it is right; if not, the records name the most likely mistake.

LOOP_CHECK_CONFIG = dict(
    total_steps=3_000, hidden_sizes=(32, 32), buffer_size=5_000, learning_starts=500, train_freq=100,
    gradient_steps=8, target_update_interval=300, epsilon_decay_steps=2_000, eval_every=1_000,
    eval_episodes=5, confirm_episodes=0,
)
# A 40-step time limit, so that the short check sees time-limit truncations as well as falls.
LOOP_CHECK_TIME_LIMIT = 40


class _Records:
    """What the learner's loop did, indexed by env step (the number of env.step calls so far)."""

    def __init__(self):
        self.env_steps = 0
        self.resets = []  # (env step, seed given)
        self.step_after_end = None  # env step at which step() was called on an ended episode
        self.ends = {}  # env step -> (terminated, truncated)
        self.step_next_obs = {}  # env step -> next_obs returned
        self.epsilons = []  # (env step, epsilon) of each act call
        self.act_without_rng = False
        self.adds = []  # (env step, terminated stored, next_obs stored)
        self.samples = []  # (env step, buffer size, batch_size, n_batches)
        self.train_calls = []  # env steps
        self.target_updates = []  # env steps
        self.episode_over = False


def _spy_env(env, records):
    import gymnasium as gym

    class SpyEnv(gym.Wrapper):
        @property
        def spec(self):  # the wrapped env's spec, so that evaluation rebuilds the same task
            return self.env.spec

        def reset(self, *, seed=None, options=None):
            records.resets.append((records.env_steps, seed))
            records.episode_over = False
            return self.env.reset(seed=seed, options=options)

        def step(self, action):
            if records.episode_over and records.step_after_end is None:
                records.step_after_end = records.env_steps + 1
            records.env_steps += 1
            next_obs, reward, terminated, truncated, info = self.env.step(action)
            records.step_next_obs[records.env_steps] = np.array(next_obs)
            if terminated or truncated:
                records.ends[records.env_steps] = (bool(terminated), bool(truncated))
                records.episode_over = True
            return next_obs, reward, terminated, truncated, info

    return SpyEnv(env)


def _spy_agent(agent_class, records, *args):
    class SpyAgent(agent_class):
        def act(self, obs, epsilon=0.0, rng=None):
            records.epsilons.append((records.env_steps + 1, float(epsilon)))
            if rng is None:
                records.act_without_rng = True
            return super().act(obs, epsilon, rng)

        def train_on_batch(self, batch):
            records.train_calls.append(records.env_steps)
            return super().train_on_batch(batch)

        def update_target(self, tau=None):
            records.target_updates.append(records.env_steps)
            return super().update_target(tau)

    return SpyAgent(*args)


def _spy_buffer(buffer_class, records, *args):
    class SpyBuffer(buffer_class):
        def add(self, obs, action, reward, next_obs, terminated):
            records.adds.append((records.env_steps, bool(terminated), np.array(next_obs)))
            return super().add(obs, action, reward, next_obs, terminated)

        def sample_indices(self, batch_size, n_batches=None):
            records.samples.append((records.env_steps, len(self), batch_size, n_batches))
            return super().sample_indices(batch_size, n_batches)

    return SpyBuffer(*args)


_loop_reference = {}


def _reference_history(config, seed):
    """``train``'s History for the check's config and seed (computed once per process)."""
    from .envs import make_env
    from .training import train

    key = (repr(config), seed)
    if key not in _loop_reference:
        env = make_env("CartPole-v1", max_episode_steps=LOOP_CHECK_TIME_LIMIT)
        _loop_reference[key] = train(env, config, seed=seed, progress=False)[1]
    return _loop_reference[key]


def run_learner_loop(dqn_loop, config, seed=0):
    """Run ``dqn_loop(env, agent, replay_buffer, config, rng, seed)`` as ``train`` would set it up.

    Returns ``(log, records, error)``: the loop's log, what it did, and the exception it raised
    (or None). Introduced in `04_training_loop.ipynb`.
    """
    from .agent import DQNAgent
    from .envs import make_env, obs_dim_and_actions
    from .replay_buffer import ReplayBuffer
    from .seeding import seed_everything

    records = _Records()
    # The same construction, in the same order, as train(): same seed, same weights, same samples.
    env = _spy_env(make_env("CartPole-v1", max_episode_steps=LOOP_CHECK_TIME_LIMIT), records)
    rng = seed_everything(seed, env)
    records.resets.clear()
    obs_dim, n_actions = obs_dim_and_actions(env)
    agent = _spy_agent(DQNAgent, records, obs_dim, n_actions, config)
    replay_buffer = _spy_buffer(ReplayBuffer, records, config.buffer_size, env.observation_space.shape, rng)
    try:
        with warnings.catch_warnings():  # gymnasium's warning on a step after the end: the checker says it
            warnings.simplefilter("ignore", UserWarning)
            return dqn_loop(env, agent, replay_buffer, config, rng, seed), records, None
    except NotImplementedError:
        raise
    except Exception as exc:  # diagnosed below from the records
        return None, records, exc


def _first_difference(actual, expected):
    for i, (a, b) in enumerate(zip(actual, expected)):
        if a != b:
            return i
    return min(len(actual), len(expected))


def _diagnose_loop(records, config):
    """The most likely mistake, from what the loop did; None if the records show none."""
    learning_starts, train_freq = config.learning_starts, config.train_freq
    for step, size, batch_size, _ in records.samples:
        if size < batch_size:
            return (f"At env step {step} your loop sampled a batch of {batch_size} from a buffer holding {size} "
                    f"transition{'s' if size != 1 else ''} (the classic snippet's bug). Line 10: train only when "
                    f"t > config.learning_starts and t % config.train_freq == 0.")
    if records.resets and records.resets[0][1] is None:
        return "Line 3: reset the env with the run's seed first, env.reset(seed=seed), so the run is reproducible."
    if records.step_after_end is not None:
        return (f"At env step {records.step_after_end} your loop stepped an episode that had already ended. "
                "Line 9: when terminated or truncated, log the episode_return and call env.reset().")
    if records.act_without_rng:
        return ("Line 6: pass the run's generator to agent.act(obs, epsilon, rng): exploration must draw from it, "
                "as train does, or your run takes other random actions than train's.")
    steps = [t for t, _ in records.epsilons]
    epsilons = np.array([e for _, e in records.epsilons])
    expected = np.array([config.epsilon(t) for t in steps])
    if len(epsilons) and not np.allclose(epsilons, expected):
        if np.allclose(epsilons, config.epsilon_start):
            return (f"Epsilon never decays: every action used epsilon = {config.epsilon_start}. "
                    "Line 5: epsilon = config.epsilon(t), with t the env step.")
        if np.allclose(epsilons, [config.epsilon(t - 1) for t in steps]):
            return "Epsilon is one env step behind: line 5 uses config.epsilon(t), with t counting from 1."
        ends = sorted(records.ends)
        per_episode = [config.epsilon(1 + sum(end < t for end in ends)) for t in steps]
        constant_in_episodes = all(
            epsilons[i] == epsilons[i - 1] for i in range(1, len(steps)) if not any(steps[i - 1] <= e < steps[i] for e in ends))
        if np.allclose(epsilons, per_episode) or constant_in_episodes:
            return ("Your epsilon changes once per episode: line 5 decays it per env step, "
                    "epsilon = config.epsilon(t) with t the env step, not the episode number.")
        i = int(np.argmax(~np.isclose(epsilons, expected)))
        return f"At env step {steps[i]} epsilon was {epsilons[i]:.4g}; line 5 gives config.epsilon({steps[i]}) = {expected[i]:.4g}."
    if len(records.adds) != records.env_steps:
        return (f"Your loop stored {len(records.adds)} transitions in {records.env_steps} env steps. "
                "Line 8: store every transition, once, right after env.step.")
    for step, stored, next_obs in records.adds:
        terminated, truncated = records.ends.get(step, (False, False))
        if stored and truncated and not terminated:
            return (f"At env step {step} the episode was truncated by the time limit and your loop stored it as "
                    "terminated. Line 8 stores `terminated` only: after a truncation the pole was still up, "
                    "so the target must keep bootstrapping.")
        if stored != terminated:
            return f"At env step {step} your loop stored terminated={stored}, but env.step returned terminated={terminated}."
        if step in records.step_next_obs and not np.array_equal(next_obs, records.step_next_obs[step]):
            return (f"At env step {step} the stored next_obs is not the one env.step returned "
                    "(store before you reset). Line 8: store (obs, action, reward, next_obs, terminated).")
    expected_calls = [t for t in range(1, records.env_steps + 1) if t > learning_starts and t % train_freq == 0]
    if records.train_calls != expected_calls:
        early = [t for t in records.train_calls if t <= learning_starts]
        if early:
            return (f"Your loop trained at env step {early[0]}, before learning starts ({learning_starts}). "
                    "Line 10: train only when t > config.learning_starts.")
        if not records.train_calls:
            return "Your loop never trained: line 10 calls agent.train_on_batch every config.train_freq env steps."
        return (f"Your loop trained at env steps {records.train_calls[:4]}..., line 10 at {expected_calls[:4]}...: "
                "when t > config.learning_starts and t % config.train_freq == 0.")
    if any(n != config.gradient_steps for *_, n in records.samples):
        return ("Line 11: sample config.gradient_steps batches per training call, "
                "replay_buffer.sample(config.batch_size, n_batches=config.gradient_steps).")
    interval = config.target_update_interval
    expected_updates = [t for t in range(1, records.env_steps + 1) if t % interval == 0]
    if records.target_updates != expected_updates:
        if not records.target_updates:
            return ("Your loop never updates the target network, so every target comes from the random initial "
                    "weights. Line 15: agent.update_target() when t % config.target_update_interval == 0.")
        if len(records.target_updates) > 2 * len(expected_updates):
            return (f"Your loop copied the Q-network into the target network {len(records.target_updates)} times, "
                    f"line 15 does it {len(expected_updates)} times: so often, the targets bootstrap from the online "
                    "network itself and move with every update. Copy only when t % config.target_update_interval == 0.")
        return (f"Your loop updated the target network at env steps {records.target_updates[:4]}..., line 15 at "
                f"{expected_updates[:4]}...: when t % config.target_update_interval == 0.")
    return None


def check_dqn_loop(dqn_loop, seed=0):
    """Check the learner's DQN loop ``dqn_loop(env, agent, replay_buffer, config, rng, seed) -> log``.

    ``log`` is a dict with ``episode_returns`` (one per finished episode), ``td_losses`` (one per
    training call) and ``evaluations`` (the mean return of each evaluation). The loop runs for
    3,000 env steps of CartPole-v1 with a 40-step time limit and a small config
    (``LOOP_CHECK_CONFIG``), set up exactly as ``train`` sets up its run; its log must equal
    ``train``'s History on the same seed. Introduced in `04_training_loop.ipynb`.
    """
    from .config import DQNConfig

    config = DQNConfig(**LOOP_CHECK_CONFIG)

    def check():
        log, records, error = run_learner_loop(dqn_loop, config, seed)
        reference = _reference_history(config, seed)
        mistake = _diagnose_loop(records, config)
        if mistake:
            raise Mistake(mistake)
        if error is not None:
            raise error
        if not isinstance(log, dict) or not {"episode_returns", "td_losses", "evaluations"} <= set(log):
            raise Mistake("Return the log dict with the keys 'episode_returns', 'td_losses' and 'evaluations'.")
        returns = [float(r) for r in log["episode_returns"]]
        if returns != reference.episode_returns:
            i = _first_difference(returns, reference.episode_returns)
            if len(returns) > 1 and np.allclose(np.diff(returns), reference.episode_returns[1:len(returns)]):
                raise Mistake("Your episode returns add up across episodes: set episode_return = 0 after each reset (line 9).")
            raise Mistake(f"Episode {i + 1}'s return is {returns[i] if i < len(returns) else 'missing'}, train's is "
                          f"{reference.episode_returns[i] if i < len(reference.episode_returns) else 'missing'}: log each "
                          "episode's return once, when it ends (line 9).")
        losses = np.asarray(log["td_losses"], dtype=float)
        if losses.shape != (len(reference.td_losses),) or not np.allclose(losses, reference.td_losses, rtol=1e-5):
            raise Mistake(f"Log one TD loss per training call, the value agent.train_on_batch returns "
                          f"({len(reference.td_losses)} calls in this run, you logged {losses.size}).")
        means = [e["mean"] for e in reference.evaluations]
        if not np.allclose(np.asarray(log["evaluations"], dtype=float), means) or len(log["evaluations"]) != len(means):
            raise Mistake(f"Line 16: evaluate every config.eval_every env steps ({len(means)} evaluations here) "
                          "with evaluate_for_stopping(agent, env.spec, config, threshold), log its mean, stop if solved.")

    return _report("DQN loop", check)


# ----- transfer exercises: the same ideas, one step further ---------------------------------
def check_expected_sarsa_update(expected_sarsa_update):
    """Check ``expected_sarsa_update(q_table, obs, action, reward, next_obs, terminated, alpha, gamma, epsilon)``.

    In place, like the Q-learning update, with the target ``r + gamma * sum_a' pi(a'|s') Q(s', a')``
    under the epsilon-greedy policy. Introduced in `01_q_learning_basics.ipynb`.
    """

    def check():
        q_table = np.zeros((3, 3))
        q_table[1] = [3.0, 0.0, 6.0]
        expected_sarsa_update(q_table, 0, 1, 1.0, 1, False, 0.5, 0.9, 0.3)
        value = q_table[0, 1]
        # pi = [0.1, 0.1, 0.8]: expectation 0.3 + 0 + 4.8 = 5.1; target 1 + 0.9 * 5.1 = 5.59
        if value == 0.0:
            raise Mistake("The table did not change: write the new value into q_table[obs, action].")
        if _close(value, 0.5 * (1.0 + 0.9 * 6.0)):
            raise Mistake("That is Q-learning's max: Expected SARSA averages Q(next_obs, a') over the "
                          "epsilon-greedy policy's probabilities.")
        if _close(value, 0.5 * (1.0 + 0.9 * 3.0)):
            raise Mistake("You averaged Q(next_obs, .) uniformly: the greedy action gets 1 - epsilon + epsilon / n_actions.")
        if _close(value, 0.5 * (1.0 + 0.9 * (0.7 * 6.0 + 0.1 * 3.0))):
            raise Mistake("The greedy action is also drawn by the random branch: its probability is "
                          "1 - epsilon + epsilon / n_actions, not 1 - epsilon.")
        if not _close(value, 0.5 * 5.59):
            raise Mistake(f"Q(0, 1) should become 0 + 0.5 * (1 + 0.9 * 5.1 - 0) = 2.795, got {value:.4g}.")
        if np.count_nonzero(q_table) != 3:
            raise Mistake("Only Q(obs, action) may change; other entries of the table changed too.")
        q_table = np.zeros((3, 2))
        q_table[2] = [10.0, 10.0]
        expected_sarsa_update(q_table, 0, 0, 1.0, 2, True, 0.5, 0.9, 0.1)
        if not _close(q_table[0, 0], 0.5):
            raise Mistake("After a terminal step the target is just r: multiply the future by (1 - terminated).")

    return _report("Expected SARSA update", check)


def _n_step_reference(rewards, next_values, terminated, truncated, gamma, n, bootstrap_at_data_end=True):
    rewards, next_values = np.asarray(rewards, float), np.asarray(next_values, float)
    terminated, truncated = np.asarray(terminated, bool), np.asarray(truncated, bool)
    targets = np.zeros(len(rewards))
    for t in range(len(rewards)):
        total, discount = 0.0, 1.0
        for k in range(t, min(t + n, len(rewards))):
            total += discount * rewards[k]
            discount *= gamma
            if terminated[k]:
                break
            if truncated[k] or k == t + n - 1 or (k == len(rewards) - 1 and bootstrap_at_data_end):
                total += discount * next_values[k]
                break
        targets[t] = total
    return targets


def check_n_step_targets(n_step_targets):
    """Check ``n_step_targets(rewards, next_values, terminated, truncated, gamma, n) -> targets``.

    For consecutive transitions t = 0..T-1 of one stream of experience (episodes one after the
    other), ``next_values[t]`` is max_a' Q(s_{t+1}, a'; θ⁻). The n-step target of transition t sums
    up to n discounted rewards, stops at the end of an episode or of the data, and bootstraps from
    the last ``next_values`` it reached unless that step was terminated. Introduced in `03_replay_buffer.ipynb`.
    """

    def check():
        rewards = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
        next_values = np.array([10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0])
        terminated = np.array([0, 0, 1, 0, 0, 0, 0], dtype=bool)
        truncated = np.array([0, 0, 0, 0, 1, 0, 0], dtype=bool)
        args = (rewards, next_values, terminated, truncated, 0.5)
        got = np.asarray(n_step_targets(*args, 3), dtype=float)
        want = _n_step_reference(*args, 3)
        if got.shape != want.shape:
            raise Mistake(f"Return one target per transition ({len(rewards)} here), got shape {got.shape}.")
        if _close(got, _n_step_reference(*args, 1)):
            raise Mistake("Those are one-step targets: sum up to n rewards before you bootstrap.")
        ignore_ends = _n_step_reference(rewards, next_values, np.zeros(7, bool), np.zeros(7, bool), 0.5, 3)
        if _close(got[:2], ignore_ends[:2]) or _close(got[3:5], ignore_ends[3:5]):
            raise Mistake("Your sums run past the end of an episode: stop at a terminated or truncated step.")
        if not _close(got[:3], want[:3]):
            raise Mistake(f"Transitions 0-2 end in a termination at t = 2, so no bootstrap: expected "
                          f"{want[:3].tolist()}, got {got[:3].tolist()}.")
        if _close(got[3:5], [4.0 + 0.5 * 5.0, 5.0]):
            raise Mistake("A truncated step still bootstraps: add gamma^m * next_values at the truncation.")
        if not _close(got, want) and _close(got, _n_step_reference(*args, 3, bootstrap_at_data_end=False)):
            raise Mistake("At the end of the data, bootstrap from the last next_values you reached.")
        if not _close(got, want):
            raise Mistake(f"Expected {np.round(want, 4).tolist()} for gamma = 0.5, n = 3, got {np.round(got, 4).tolist()}.")
        if not _close(np.asarray(n_step_targets(*args, 1), dtype=float), _n_step_reference(*args, 1)):
            raise Mistake("With n = 1 your targets must be the usual one-step TD targets.")

    return _report("n-step targets", check)


def check_soft_update(soft_update):
    """Check ``soft_update(target_weights, online_weights, tau) -> new target weights`` (lists of arrays):
    θ⁻ ← τ θ + (1 − τ) θ⁻, the Polyak average of DDPG/SAC and of ``DQNConfig.tau``. Introduced in `04_training_loop.ipynb`.
    """

    def check():
        target = [np.full((2, 2), 10.0), np.zeros(3)]
        online = [np.zeros((2, 2)), np.ones(3)]
        online_before = [w.copy() for w in online]
        new = soft_update(target, online, 0.1)
        if new is None:
            raise Mistake("Return the new target weights (a list of arrays, one per weight array).")
        new = [np.asarray(w, dtype=float) for w in new]
        if len(new) != 2 or any(n.shape != t.shape for n, t in zip(new, target)):
            raise Mistake("Return one array per weight array, each of the same shape as before.")
        if _close(new[0], 1.0) and _close(new[1], 0.9):
            raise Mistake("Swapped: tau is the share of the online weights, θ⁻ ← τ θ + (1 − τ) θ⁻.")
        if any(not _close(a, b) for a, b in zip(online, online_before)):
            raise Mistake("Your function changed the online weights: only the target moves.")
        if not (_close(new[0], 9.0) and _close(new[1], 0.1)):
            raise Mistake(f"With tau = 0.1: 0.1 * online + 0.9 * target = [9.0 ..] and [0.1 ..], "
                          f"got {new[0].ravel()[0]:.4g} and {new[1].ravel()[0]:.4g}.")
        hard = soft_update(target, online, 1.0)
        if not all(_close(h, o) for h, o in zip(hard, online)):
            raise Mistake("With tau = 1 the target must become a copy of the online weights (a hard update).")

    return _report("soft update", check)


def check_dueling_head(dueling_head_class):
    """Check a Keras layer ``DuelingHead(n_actions)`` with sublayers ``value`` (Dense(1)) and
    ``advantage`` (Dense(n_actions)) whose ``call(features)`` returns
    Q(s, a) = V(s) + A(s, a) − mean_a' A(s, a') (Wang et al., 2016). Introduced in `06_beyond_vanilla_dqn.ipynb`.
    """

    def check():
        import keras

        head = dueling_head_class(3)
        features = np.random.default_rng(0).normal(size=(5, 8)).astype("float32")
        q = keras.ops.convert_to_numpy(head(features))
        if not (hasattr(head, "value") and hasattr(head, "advantage")):
            raise Mistake("Keep the two Dense layers as self.value (1 unit) and self.advantage (n_actions units).")
        value = keras.ops.convert_to_numpy(head.value(features))
        advantage = keras.ops.convert_to_numpy(head.advantage(features))
        if q.shape != (5, 3):
            raise Mistake(f"The head must output one Q-value per action, shape (batch, 3) here, got {q.shape}.")
        if _close(q, value + advantage):
            raise Mistake("Subtract the mean advantage: V + A alone cannot tell V and A apart (not identifiable).")
        if _close(q, value + advantage - advantage.max(axis=1, keepdims=True)):
            raise Mistake("You subtracted the max advantage (the paper's first variant): this course uses the mean.")
        if _close(q, value + advantage - advantage.mean(axis=0, keepdims=True)):
            raise Mistake("You took the mean over the batch: average the advantages over the actions (axis=-1).")
        if _close(q, advantage - advantage.mean(axis=1, keepdims=True)):
            raise Mistake("Add the state value V(s) to the centred advantages.")
        if not _close(q, value + advantage - advantage.mean(axis=1, keepdims=True)):
            raise Mistake("Q(s, a) = V(s) + A(s, a) - mean_a' A(s, a'): your output differs.")

    return _report("dueling head", check)
