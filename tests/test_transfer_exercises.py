"""The transfer exercises' checkers accept a right answer and name the usual wrong ones."""
import keras
import numpy as np
import pytest

from dqn_helpers import expected_sarsa_update
from dqn_helpers.exercises import (
    _n_step_reference,
    check_dueling_head,
    check_expected_sarsa_update,
    check_n_step_targets,
    check_soft_update,
)


def verdict_and_line(capsys, checker, answer):
    passed = bool(checker(answer))
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out
    return passed, out


# ----- Expected SARSA (01) -----
def sarsa_variant(kind):
    def update(q_table, obs, action, reward, next_obs, terminated, alpha, gamma, epsilon):
        q_next = q_table[next_obs]
        n = len(q_next)
        if kind == "max":
            expectation = q_next.max()
        elif kind == "uniform":
            expectation = q_next.mean()
        elif kind == "no epsilon share":
            expectation = (1 - epsilon) * q_next.max() + epsilon / n * np.sort(q_next)[:-1].sum()
        future = 0.0 if terminated and kind != "through terminal" else gamma * expectation
        q_table[obs, action] += alpha * (reward + future - q_table[obs, action])
    return update


def test_expected_sarsa_accepts_the_package_reference(capsys):
    assert verdict_and_line(capsys, check_expected_sarsa_update, expected_sarsa_update) == (True, "Expected SARSA update: correct.\n")


@pytest.mark.parametrize("kind, words", [
    ("max", "Q-learning's max"),
    ("uniform", "uniformly"),
    ("no epsilon share", "1 - epsilon + epsilon / n_actions"),
])
def test_expected_sarsa_names_the_mistake(capsys, kind, words):
    passed, out = verdict_and_line(capsys, check_expected_sarsa_update, sarsa_variant(kind))
    assert not passed and words in out, out


def test_expected_sarsa_catches_a_bootstrap_through_a_terminal_step(capsys):
    def update(q_table, obs, action, reward, next_obs, terminated, alpha, gamma, epsilon):
        expected_sarsa_update(q_table, obs, action, reward, next_obs, False, alpha, gamma, epsilon)

    passed, out = verdict_and_line(capsys, check_expected_sarsa_update, update)
    assert not passed and "terminal" in out


# ----- n-step targets (03) -----
def n_step_right(rewards, next_values, terminated, truncated, gamma, n):
    return _n_step_reference(rewards, next_values, terminated, truncated, gamma, n)


def n_step_one(rewards, next_values, terminated, truncated, gamma, n):
    return _n_step_reference(rewards, next_values, terminated, truncated, gamma, 1)


def n_step_across_episodes(rewards, next_values, terminated, truncated, gamma, n):
    zeros = np.zeros(len(rewards), bool)
    return _n_step_reference(rewards, next_values, zeros, zeros, gamma, n)


def n_step_no_bootstrap_at_truncation(rewards, next_values, terminated, truncated, gamma, n):
    return _n_step_reference(rewards, next_values, np.logical_or(terminated, truncated), np.zeros(len(rewards), bool), gamma, n)


def n_step_no_tail(rewards, next_values, terminated, truncated, gamma, n):
    return _n_step_reference(rewards, next_values, terminated, truncated, gamma, n, bootstrap_at_data_end=False)


def test_n_step_accepts_a_right_answer(capsys):
    assert verdict_and_line(capsys, check_n_step_targets, n_step_right) == (True, "n-step targets: correct.\n")


@pytest.mark.parametrize("answer, words", [
    (n_step_one, "one-step targets"),
    (n_step_across_episodes, "past the end of an episode"),
    (n_step_no_bootstrap_at_truncation, "truncated step still bootstraps"),
    (n_step_no_tail, "end of the data"),
])
def test_n_step_names_the_mistake(capsys, answer, words):
    passed, out = verdict_and_line(capsys, check_n_step_targets, answer)
    assert not passed and words in out, out


# ----- soft update (04) -----
@pytest.mark.parametrize("answer, passes, words", [
    (lambda target, online, tau: [tau * o + (1 - tau) * t for t, o in zip(target, online)], True, "correct"),
    (lambda target, online, tau: [tau * t + (1 - tau) * o for t, o in zip(target, online)], False, "Swapped"),
    (lambda target, online, tau: None, False, "Return the new target weights"),
    (lambda target, online, tau: [o.__imul__(0) + t for t, o in zip(target, online)], False, "changed the online weights"),
])
def test_soft_update(capsys, answer, passes, words):
    passed, out = verdict_and_line(capsys, check_soft_update, answer)
    assert passed == passes and words in out, out


# ----- dueling head (06) -----
def dueling_class(combine):
    class DuelingHead(keras.layers.Layer):
        def __init__(self, n_actions, **kwargs):
            super().__init__(**kwargs)
            self.value = keras.layers.Dense(1)
            self.advantage = keras.layers.Dense(n_actions)

        def call(self, features):
            return combine(self.value(features), self.advantage(features))

    return DuelingHead


@pytest.mark.parametrize("combine, passes, words", [
    (lambda v, a: v + a - keras.ops.mean(a, axis=-1, keepdims=True), True, "correct"),
    (lambda v, a: v + a, False, "Subtract the mean advantage"),
    (lambda v, a: v + a - keras.ops.max(a, axis=-1, keepdims=True), False, "max advantage"),
    (lambda v, a: v + a - keras.ops.mean(a, axis=0, keepdims=True), False, "over the batch"),
    (lambda v, a: a - keras.ops.mean(a, axis=-1, keepdims=True), False, "Add the state value"),
])
def test_dueling_head(capsys, combine, passes, words):
    passed, out = verdict_and_line(capsys, check_dueling_head, dueling_class(combine))
    assert passed == passes and words in out, out


@pytest.mark.parametrize("checker", [check_expected_sarsa_update, check_n_step_targets, check_soft_update, check_dueling_head])
def test_a_stub_is_not_done_yet(capsys, checker):
    def stub(*args, **kwargs):
        raise NotImplementedError

    passed, out = verdict_and_line(capsys, checker, stub)
    assert not passed and "not done yet" in out
