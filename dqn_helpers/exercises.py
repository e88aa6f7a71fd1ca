"""Checkers for the notebooks' coding exercises.

Each ``check_*`` function runs the student's function on small cases chosen to catch the
usual mistakes, prints one line of feedback (what is wrong and what to change, or a short
success message) and returns a ``Verdict``, which is truthy when the function passed. A
function that still raises ``NotImplementedError`` (an untouched stub) gets "not done yet"
rather than an error, so a student's notebook always runs top to bottom.
"""
import numpy as np

from .evaluation import evaluate


class Mistake(Exception):
    """Raised inside a checker with the feedback for the student."""


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
        print(f"{name}: not done yet. Replace `raise NotImplementedError` with your code, then run this cell again.")
        return Verdict(False)
    except Mistake as mistake:
        print(f"{name}: not yet right. {mistake}")
        return Verdict(False)
    except Exception as exc:  # the student's code crashed: say where, not a traceback
        print(f"{name}: your function raised {type(exc).__name__}: {exc}")
        return Verdict(False)
    print(f"{name}: correct.")
    return Verdict(True)


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
                          "says how many transitions it holds, the blog's crash with a clearer message.")
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
            raise Mistake("Your epsilon grows: it must decay from start to end (the blog's mistake).")
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
                          "the action, argmax_a Q_online(s', a), and the target network value it.")
        if _close(targets[:2], [1.0 + 0.5 * 3.0, 1.0 + 0.5 * 2.0]):
            raise Mistake("You valued the chosen action with the online network: take its value from the target network.")
        if _close(targets[2], 0.5 + 0.5 * 6.0):
            raise Mistake("Your target bootstraps through a terminal step: multiply the future by (1 - terminated).")
        if not _close(targets, [2.0, 3.5, 0.5]):
            raise Mistake(f"Expected [2.0, 3.5, 0.5] for this batch, got {np.round(targets, 4).tolist()}.")

    return _report("Double DQN target", check)
