"""Every checker accepts the reference solution and rejects typical mistakes with specific feedback."""
import gymnasium as gym
import numpy as np

import dqn_helpers
from dqn_helpers import exercises


def verdict(capsys, checker, candidate):
    ok = checker(candidate)
    return ok, capsys.readouterr().out.strip()


def test_an_unfinished_stub_is_not_done_yet(capsys):
    def stub(*args):
        raise NotImplementedError

    for checker in [exercises.check_q_learning_update, exercises.check_epsilon_greedy, exercises.check_td_targets,
                    exercises.check_ring_buffer, exercises.check_linear_schedule, exercises.check_greedy_evaluation,
                    exercises.check_double_td_targets, exercises.check_huber_loss, exercises.check_ring_buffer_sample]:
        ok, out = verdict(capsys, checker, stub)
        assert not ok and "not done yet" in out


def test_a_crash_is_reported_in_one_line(capsys):
    ok, out = verdict(capsys, exercises.check_linear_schedule, lambda step, start, end, decay_steps: 1 / 0)
    assert not ok and out == "linear schedule: your function raised ZeroDivisionError: division by zero"


# ----- Q-learning update
def test_q_learning_update(capsys):
    assert verdict(capsys, exercises.check_q_learning_update, dqn_helpers.q_learning_update) == (True, "Q-learning update: correct.")

    def through_terminal(q, s, a, r, s2, terminated, alpha, gamma):
        q[s, a] += alpha * (r + gamma * q[s2].max() - q[s, a])

    ok, out = verdict(capsys, exercises.check_q_learning_update, through_terminal)
    assert not ok and "bootstraps through a terminal step" in out

    def overwrite(q, s, a, r, s2, terminated, alpha, gamma):
        q[s, a] = r + (0 if terminated else gamma * q[s2].max())

    ok, out = verdict(capsys, exercises.check_q_learning_update, overwrite)
    assert not ok and "move it only a fraction alpha" in out

    def returns_a_copy(q, s, a, r, s2, terminated, alpha, gamma):
        q = q.copy()
        q[s, a] += 1

    ok, out = verdict(capsys, exercises.check_q_learning_update, returns_a_copy)
    assert not ok and "did not change" in out


# ----- epsilon-greedy
def test_epsilon_greedy(capsys):
    assert verdict(capsys, exercises.check_epsilon_greedy, dqn_helpers.epsilon_greedy)[0]

    def argmax_ties(q_row, epsilon, rng):
        return int(rng.integers(len(q_row))) if rng.random() < epsilon else int(np.argmax(q_row))

    ok, out = verdict(capsys, exercises.check_epsilon_greedy, argmax_ties)
    assert not ok and "break ties at random" in out

    def never_explores_first_action(q_row, epsilon, rng):
        return int(rng.integers(1, len(q_row))) if rng.random() < epsilon else dqn_helpers.greedy_action(q_row, rng)

    ok, out = verdict(capsys, exercises.check_epsilon_greedy, never_explores_first_action)
    assert not ok and "every action must be possible" in out

    def inverted(q_row, epsilon, rng):
        return dqn_helpers.epsilon_greedy(q_row, 1 - epsilon, rng)

    ok, out = verdict(capsys, exercises.check_epsilon_greedy, inverted)
    assert not ok and "epsilon = 0" in out


# ----- TD targets
def reference_td_targets(rewards, next_q, terminated, truncated, gamma):
    return np.asarray(dqn_helpers.td_targets(rewards, next_q, terminated, gamma))


def test_td_targets(capsys):
    assert verdict(capsys, exercises.check_td_targets, reference_td_targets)[0]

    def blog_done(rewards, next_q, terminated, truncated, gamma):
        done = np.maximum(terminated, truncated)
        return rewards + gamma * (1 - done) * next_q.max(axis=1)

    ok, out = verdict(capsys, exercises.check_td_targets, blog_done)
    assert not ok and "stops at a time-limit truncation" in out

    def no_mask(rewards, next_q, terminated, truncated, gamma):
        return rewards + gamma * next_q.max(axis=1)

    ok, out = verdict(capsys, exercises.check_td_targets, no_mask)
    assert not ok and "bootstraps through a terminal step" in out


# ----- ring buffer
class GoodRing:
    def __init__(self, capacity, obs_dim):
        self.buffer = dqn_helpers.ReplayBuffer(capacity, (obs_dim,))

    def add(self, *transition):
        self.buffer.add(*transition)

    def __len__(self):
        return len(self.buffer)

    @property
    def obs(self):
        return self.buffer.obs

    @property
    def rewards(self):
        return self.buffer.rewards


class NoWrap(GoodRing):
    def __init__(self, capacity, obs_dim):
        self.obs_rows, self.reward_rows, self.n = np.zeros((capacity, obs_dim)), np.zeros(capacity), 0

    def add(self, obs, action, reward, next_obs, terminated):
        self.obs_rows[self.n], self.reward_rows[self.n] = obs, reward
        self.n += 1

    def __len__(self):
        return self.n

    obs = property(lambda self: self.obs_rows)
    rewards = property(lambda self: self.reward_rows)


class KeepsOldest(NoWrap):
    def add(self, obs, action, reward, next_obs, terminated):
        if self.n < len(self.reward_rows):
            super().add(obs, action, reward, next_obs, terminated)

    def __len__(self):
        return self.n


def test_ring_buffer(capsys):
    assert verdict(capsys, exercises.check_ring_buffer, GoodRing)[0]
    ok, out = verdict(capsys, exercises.check_ring_buffer, NoWrap)
    assert not ok and "must wrap around" in out
    ok, out = verdict(capsys, exercises.check_ring_buffer, KeepsOldest)
    assert not ok and "overwrite the oldest one" in out


# ----- linear schedule
def test_linear_schedule(capsys):
    assert verdict(capsys, exercises.check_linear_schedule, dqn_helpers.linear_epsilon)[0]
    blog = lambda step, start, end, decay_steps: max(end, 0.995 * step)  # noqa: E731
    ok, out = verdict(capsys, exercises.check_linear_schedule, blog)
    assert not ok and "Your epsilon grows" in out
    never_arrives = lambda step, start, end, decay_steps: start - (start - end) * min(step, decay_steps) / (decay_steps + 100)  # noqa: E731
    ok, out = verdict(capsys, exercises.check_linear_schedule, never_arrives)
    assert not ok and "never reaches its final value" in out
    keeps_falling = lambda step, start, end, decay_steps: start - (start - end) * step / decay_steps  # noqa: E731
    ok, out = verdict(capsys, exercises.check_linear_schedule, keeps_falling)
    assert not ok and "must stay at end" in out


# ----- greedy evaluation
def reference_evaluation(policy, env_id, n_episodes, seed):
    env, returns = gym.make(env_id), []
    for i in range(n_episodes):
        obs, _ = env.reset(seed=seed + i)
        episode_return, terminated, truncated = 0.0, False, False
        while not (terminated or truncated):
            obs, reward, terminated, truncated, _ = env.step(policy(obs))
            episode_return += reward
        returns.append(episode_return)
    return returns


def test_greedy_evaluation(capsys):
    assert verdict(capsys, exercises.check_greedy_evaluation, reference_evaluation)[0]

    def one_seed(policy, env_id, n_episodes, seed):
        return [reference_evaluation(policy, env_id, 1, seed)[0] for _ in range(n_episodes)]

    ok, out = verdict(capsys, exercises.check_greedy_evaluation, one_seed)
    assert not ok and "reset episode i with seed + i" in out


# ----- Double DQN
def test_double_td_targets(capsys):
    reference = lambda *args: np.asarray(dqn_helpers.double_td_targets(*args))  # noqa: E731
    assert verdict(capsys, exercises.check_double_td_targets, reference)[0]
    plain = lambda r, online, target, terminated, gamma: r + gamma * (1 - terminated) * target.max(axis=1)  # noqa: E731
    ok, out = verdict(capsys, exercises.check_double_td_targets, plain)
    assert not ok and "plain DQN target" in out
    online_values = lambda r, online, target, terminated, gamma: r + gamma * (1 - terminated) * online.max(axis=1)  # noqa: E731
    ok, out = verdict(capsys, exercises.check_double_td_targets, online_values)
    assert not ok and "valued the chosen action with the online network" in out


def test_a_verdict_is_truthy_only_when_passed_and_displays_nothing_in_a_notebook(capsys):
    passed = exercises.check_linear_schedule(dqn_helpers.linear_epsilon)
    failed = exercises.check_linear_schedule(lambda step, start, end, decay_steps: start)
    assert bool(passed) and not bool(failed) and passed == True and failed == False  # noqa: E712
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    assert shell.display_formatter.format(passed) == ({}, {}), "a verdict would print a stray line under the feedback"


# ----- Huber loss
def reference_huber(td_errors, kappa=1.0):
    a = np.abs(td_errors)
    return np.where(a <= kappa, 0.5 * a**2, kappa * (a - 0.5 * kappa))


def test_huber_loss(capsys):
    assert verdict(capsys, exercises.check_huber_loss, reference_huber) == (True, "Huber loss: correct.")
    keras_huber = lambda d, kappa=1.0: [float(dqn_helpers.agent.keras.losses.Huber(kappa)([0.0], [x])) for x in d]  # noqa: E731
    assert verdict(capsys, exercises.check_huber_loss, keras_huber)[0], "Keras' own Huber loss must pass"
    mistakes = {
        "not their mean": lambda d, kappa=1.0: reference_huber(d, kappa).mean(),
        "grow only linearly": lambda d, kappa=1.0: 0.5 * np.asarray(d) ** 2,
        "left out the 0.5": lambda d, kappa=1.0: np.where(np.abs(d) <= kappa, d**2, kappa * (np.abs(d) - 0.5 * kappa)),
        "jumps at |delta| = kappa": lambda d, kappa=1.0: np.where(np.abs(d) <= kappa, 0.5 * d**2, kappa * np.abs(d)),
        "use the kappa argument": lambda d, kappa=1.0: reference_huber(d, 1.0),
        "use |delta|": lambda d, kappa=1.0: np.where(np.abs(d) <= kappa, 0.5 * d**2, kappa * (d - 0.5 * kappa)),
    }
    for feedback, wrong in mistakes.items():
        ok, out = verdict(capsys, exercises.check_huber_loss, wrong)
        assert not ok and feedback in out, (feedback, out)


# ----- ring buffer sample
class SampledRing(GoodRing):
    def sample(self, batch_size):
        if batch_size > len(self):
            raise ValueError(f"the buffer holds {len(self)} transitions, fewer than a batch of {batch_size}")
        return self.buffer.sample(batch_size)


class FromCapacity(SampledRing):  # draws rows that were never written
    def sample(self, batch_size):
        idx = np.random.default_rng(0).integers(0, len(self.buffer.rewards), size=batch_size)
        fields = ("obs", "actions", "rewards", "next_obs", "terminated")
        return {name: getattr(self.buffer, name)[idx] for name in fields}


class MixedRows(SampledRing):  # each field indexed with its own draw
    def sample(self, batch_size):
        SampledRing.sample(self, batch_size)
        rng = np.random.default_rng()
        fields = ("obs", "actions", "rewards", "next_obs", "terminated")
        return {name: getattr(self.buffer, name)[rng.integers(0, len(self), size=batch_size)] for name in fields}


class OnlyFirstRows(SampledRing):  # always the same leading rows
    def sample(self, batch_size):
        SampledRing.sample(self, batch_size)
        fields = ("obs", "actions", "rewards", "next_obs", "terminated")
        return {name: getattr(self.buffer, name)[:batch_size] for name in fields}


def test_ring_buffer_sample(capsys):
    assert verdict(capsys, exercises.check_ring_buffer_sample, SampledRing) == (True, "ring buffer sample: correct.")
    for buffer_class, feedback in [(FromCapacity, "returned a batch"),
                                   (MixedRows, "come from different transitions"), (OnlyFirstRows, "never sampled")]:
        ok, out = verdict(capsys, exercises.check_ring_buffer_sample, buffer_class)
        assert not ok and feedback in out, (buffer_class.__name__, out)

    class SilentError(SampledRing):
        def sample(self, batch_size):
            if batch_size > len(self):
                raise ValueError("Sample larger than population")
            return super().sample(batch_size)

    ok, out = verdict(capsys, exercises.check_ring_buffer_sample, SilentError)
    assert not ok and "how many transitions the buffer holds" in out

    class NeverWritten(SampledRing):  # guard right, but draws from the whole capacity
        def sample(self, batch_size):
            SampledRing.sample(self, batch_size)
            return FromCapacity.sample(self, batch_size)

    ok, out = verdict(capsys, exercises.check_ring_buffer_sample, NeverWritten)
    assert not ok and "never written" in out


# ----- grading: nbgrader's autograder counts a test as failed only when its cell raises
def test_when_grading_a_checker_prints_its_line_then_raises(capsys, monkeypatch):
    import pytest

    def growing(step, start, end, decay_steps):  # the classic snippet's epsilon
        return min(end, start + step / decay_steps)

    def stub(*args):
        raise NotImplementedError

    monkeypatch.delenv("DQN_HELPERS_CHECKS_RAISE", raising=False)
    for variable, value in [("NBGRADER_EXECUTION", "autograde"), ("NBGRADER_EXECUTION", "validate"),
                            ("DQN_HELPERS_CHECKS_RAISE", "1")]:
        monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
        monkeypatch.setenv(variable, value)
        for candidate, says in [(growing, "linear schedule: not yet right."), (stub, "linear schedule: not done yet.")]:
            with pytest.raises(exercises.ExerciseNotPassed) as raised:
                exercises.check_linear_schedule(candidate)
            printed = capsys.readouterr().out.strip()
            assert printed.startswith(says) and str(raised.value) == printed, (variable, printed)
            assert isinstance(raised.value, AssertionError)
            # nbgrader shows the traceback as the feedback: the sentence alone, not the checker's internals.
            assert raised.value.__suppress_context__ and raised.value.__cause__ is None
        # A function that passes still passes, and says so once.
        assert exercises.check_linear_schedule(dqn_helpers.linear_epsilon) == True  # noqa: E712
        assert capsys.readouterr().out == "linear schedule: correct.\n"
    # Not grading: the same mistakes print their line and return a false verdict, without raising.
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    for value in ("0", ""):
        monkeypatch.setenv("DQN_HELPERS_CHECKS_RAISE", value)
        assert verdict(capsys, exercises.check_linear_schedule, growing)[0] == False  # noqa: E712
