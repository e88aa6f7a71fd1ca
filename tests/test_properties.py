"""Property-based tests (Hypothesis): what must hold for every input in a documented range.

Each test states one property; Hypothesis draws inputs from the range, looks for one that breaks
the property, and shrinks it to the smallest counterexample it can find. Covered: the replay
buffer (wrap-around, sampling only written rows, aligned fields), the epsilon schedules
(monotone, exact end points), ``td_targets`` and ``double_td_targets`` (against a NumPy
reference), and ``DQNConfig`` (every accepted config trains one step without NaN, every value
outside the ranges is rejected by name, a config is frozen).
"""
import collections
import dataclasses
import math
import os
import re
import tempfile

import keras
import numpy as np
import pytest
from hypothesis import example, given, note, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dqn_helpers import (
    DQNAgent,
    DQNConfig,
    ReplayBuffer,
    double_td_targets,
    exponential_epsilon,
    linear_epsilon,
    td_targets,
)
from dqn_helpers import errors
from dqn_helpers.errors import DQNHelpersError

# Nothing of Hypothesis's in the repository: no example database, and its other cache (constants
# read from the package's source) goes to the temp directory instead of ./.hypothesis/.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "dqn-course-hypothesis"))
# No deadline: the first call of a compiled train step traces it, which takes a second.
COURSE = settings(database=None, deadline=None)

SCHEDULES = {"linear": linear_epsilon, "exponential": exponential_epsilon}
FIELDS = [field.name for field in dataclasses.fields(DQNConfig)]
FLOAT32_EPS = float(np.finfo(np.float32).eps)


def fields_of(config):
    return {name: getattr(config, name) for name in FIELDS}


# ----- replay buffer ------------------------------------------------------------------------

def obs_shapes():
    """Pairs (obs_shape as a learner may pass it, the shape an observation then has)."""
    shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)
    return st.one_of(
        st.integers(1, 5).map(lambda n: (n, (n,))),
        st.integers(1, 5).map(lambda n: (np.int64(n), (n,))),  # e.g. np.prod(space.shape)
        shapes.map(lambda shape: (shape, shape)),
        shapes.map(lambda shape: (np.array(shape), shape)),  # e.g. np.array([4])
        st.just(((), ())),  # scalar observations
    )


@COURSE
@given(
    capacity=st.integers(1, 20),
    obs_shape=obs_shapes(),
    terminated_flags=st.lists(st.booleans(), max_size=60),
    seed=st.integers(0, 2**32 - 1),
    data=st.data(),
)
def test_replay_buffer_keeps_the_last_transitions_and_samples_only_written_aligned_rows(
    capacity, obs_shape, terminated_flags, seed, data
):
    given_shape, shape = obs_shape
    buffer = ReplayBuffer(capacity, given_shape, np.random.default_rng(seed))
    model = collections.deque(maxlen=capacity)  # the last `capacity` transitions, by tag
    terminated_of = {}
    for i, terminated in enumerate(terminated_flags):
        # Every field of transition i carries its tag i + 1 (never 0, the value of unused slots).
        tag = i + 1
        buffer.add(np.full(shape, tag, np.float32), tag, float(tag), np.full(shape, -tag, np.float32), terminated)
        model.append(tag)
        terminated_of[tag] = float(terminated)
        assert len(buffer) == len(model) == min(i + 1, capacity)

    # Wrap-around: the occupied slots hold exactly the last `capacity` transitions, each row whole.
    rows, width = len(buffer), math.prod(shape)
    stored = buffer.rewards[:rows]
    assert sorted(stored.tolist()) == sorted(model)
    np.testing.assert_array_equal(buffer.obs[:rows].reshape(rows, width), np.broadcast_to(stored[:, None], (rows, width)))
    np.testing.assert_array_equal(buffer.next_obs[:rows].reshape(rows, width), -buffer.obs[:rows].reshape(rows, width))
    np.testing.assert_array_equal(buffer.actions[:rows], stored)

    if not model:
        return
    batch_size = data.draw(st.integers(1, len(buffer)), label="batch_size")
    n_batches = data.draw(st.none() | st.integers(1, 4), label="n_batches")
    batch = buffer.sample(batch_size, n_batches=n_batches)
    lead = (batch_size,) if n_batches is None else (n_batches, batch_size)
    assert batch["obs"].shape == batch["next_obs"].shape == lead + shape
    assert batch["actions"].shape == batch["rewards"].shape == batch["terminated"].shape == lead
    tags = batch["rewards"]
    # Only written rows, and only the ones not yet overwritten.
    assert set(tags.ravel().tolist()) <= set(model)
    # Aligned: obs, action, next_obs and terminated of a sampled row all come from the same add.
    flat_obs = batch["obs"].reshape(lead + (-1,))
    assert np.all(flat_obs == tags[..., None])
    assert np.all(batch["next_obs"].reshape(lead + (-1,)) == -tags[..., None])
    np.testing.assert_array_equal(batch["actions"], tags.astype(np.int64))
    expected_terminated = np.vectorize(terminated_of.get, otypes=[np.float32])(tags.astype(np.int64))
    np.testing.assert_array_equal(batch["terminated"], expected_terminated)


# ----- epsilon schedules --------------------------------------------------------------------

@st.composite
def schedule_cases(draw):
    """(schedule name, start, end, decay_steps, steps) inside the documented ranges."""
    name = draw(st.sampled_from(sorted(SCHEDULES)))
    if name == "linear":
        end, start = sorted(draw(st.tuples(st.floats(0, 1), st.floats(0, 1))))
    else:  # a product of factors never reaches 0: the exponential schedule needs end > 0
        start = draw(st.floats(0, 1, exclude_min=True))
        end = draw(st.floats(0, start, exclude_min=True))
    decay_steps = draw(st.integers(1, 10**6))
    near_the_end = st.sampled_from([0, 1, decay_steps - 1, decay_steps, decay_steps + 1])
    steps = draw(st.lists(st.integers(0, 3 * decay_steps) | near_the_end, min_size=1, max_size=20))
    return name, start, end, decay_steps, steps


@COURSE
@given(case=schedule_cases())
def test_epsilon_schedules_decay_monotonically_between_exact_end_points(case):
    name, start, end, decay_steps, steps = case
    schedule = SCHEDULES[name]
    assert schedule(0, start, end, decay_steps) == pytest.approx(start, rel=0, abs=1e-12)
    assert schedule(decay_steps, start, end, decay_steps) == pytest.approx(end, rel=0, abs=1e-12)
    steps = sorted(set(steps))
    values = [schedule(step, start, end, decay_steps) for step in steps]
    for earlier, later in zip(values, values[1:]):
        assert earlier >= later  # non-increasing in step
    for step, value in zip(steps, values):
        assert end - 1e-12 <= value <= start + 1e-12
        if step >= decay_steps:
            assert value == pytest.approx(end, rel=0, abs=1e-12)
    # The config's epsilon(step) is the schedule it names, with its own end points.
    config = DQNConfig(epsilon_start=start, epsilon_end=end, epsilon_decay_steps=decay_steps, epsilon_schedule=name)
    assert [config.epsilon(step) for step in steps] == values


# ----- TD targets ---------------------------------------------------------------------------

# TensorFlow flushes float32 subnormals (|x| < 1.2e-38) to zero on CPU; no reward or Q-value is one.
MODERATE = st.floats(-1e3, 1e3, width=32, allow_subnormal=False)
TIES = st.sampled_from([-1.0, 0.0, 1.0])  # few values, so that argmax often has ties


@st.composite
def td_cases(draw):
    batch = draw(st.integers(1, 64))
    n_actions = draw(st.integers(1, 8))
    rewards = draw(hnp.arrays(np.float32, batch, elements=MODERATE))
    next_q_online = draw(hnp.arrays(np.float32, (batch, n_actions), elements=MODERATE | TIES))
    next_q_target = draw(hnp.arrays(np.float32, (batch, n_actions), elements=MODERATE))
    terminated = draw(hnp.arrays(np.float32, batch, elements=st.sampled_from([0.0, 1.0])))
    gamma = draw(st.floats(0, 1, exclude_max=True))
    return rewards, next_q_online, next_q_target, terminated, gamma


def assert_matches_reference(targets, rewards, bootstrap, terminated, gamma):
    """``targets`` equal r + gamma * (1 - terminated) * bootstrap to float32 rounding."""
    targets = np.asarray(targets)
    assert targets.shape == rewards.shape
    r, b = rewards.astype(np.float64), bootstrap.astype(np.float64)
    reference = r + gamma * (1.0 - terminated) * b
    # A few float32 roundings (gamma, the product, the sum) of numbers no larger than |r| + |b|,
    # and a result below float32's smallest normal number may be flushed to zero.
    tolerance = 4 * FLOAT32_EPS * (np.abs(r) + np.abs(b)) + np.finfo(np.float32).tiny
    assert np.all(np.abs(targets - reference) <= tolerance), (targets, reference)
    # After termination nothing is bootstrapped: the target is the reward, exactly.
    ended = terminated == 1.0
    np.testing.assert_array_equal(targets[ended], rewards[ended])


@COURSE
@given(case=td_cases())
def test_td_targets_match_a_numpy_reference(case):
    rewards, _, next_q_target, terminated, gamma = case
    targets = td_targets(rewards, next_q_target, terminated, gamma)
    assert_matches_reference(targets, rewards, next_q_target.max(axis=1), terminated, gamma)


@COURSE
@given(case=td_cases())
def test_double_td_targets_match_a_numpy_reference(case):
    rewards, next_q_online, next_q_target, terminated, gamma = case
    targets = double_td_targets(rewards, next_q_online, next_q_target, terminated, gamma)
    # The Q-network chooses (np.argmax: the first of tied actions), the target network values.
    chosen = next_q_target[np.arange(len(rewards)), np.argmax(next_q_online, axis=1)]
    assert_matches_reference(targets, rewards, chosen, terminated, gamma)


@COURSE
@given(next_q_online=hnp.arrays(np.float32, st.tuples(st.integers(1, 64), st.integers(1, 8)), elements=TIES))
def test_double_dqn_breaks_ties_like_numpy_argmax(next_q_online):
    batch, n_actions = next_q_online.shape
    # The target network values action a at a, so the target reveals which action was chosen.
    next_q_target = np.tile(np.arange(n_actions, dtype=np.float32), (batch, 1))
    zeros = np.zeros(batch, np.float32)
    targets = np.asarray(double_td_targets(zeros, next_q_online, next_q_target, zeros, gamma=0.5))
    np.testing.assert_array_equal(2 * targets, np.argmax(next_q_online, axis=1))


# ----- DQNConfig ----------------------------------------------------------------------------

UNIT = st.floats(0, 1)
ANY_HIDDEN = st.lists(st.integers(1, 512), min_size=1, max_size=4)
SMALL_HIDDEN = st.lists(st.integers(1, 16), min_size=1, max_size=2)


@st.composite
def valid_config_kwargs(draw, hidden_sizes=ANY_HIDDEN, max_batch=1024, max_buffer=10**6):
    """Keyword arguments of a DQNConfig, each drawn inside its documented range."""
    schedule = draw(st.sampled_from(sorted(SCHEDULES)))
    if schedule == "linear":
        epsilon_end, epsilon_start = sorted(draw(st.tuples(UNIT, UNIT)))
    else:
        epsilon_start = draw(st.floats(0, 1, exclude_min=True))
        epsilon_end = draw(st.floats(0, epsilon_start, exclude_min=True))
    batch_size = draw(st.integers(1, max_batch))
    hidden = draw(hidden_sizes)
    return dict(
        total_steps=draw(st.integers(1, 10**7)),
        hidden_sizes=draw(st.sampled_from([list, tuple]))(hidden),
        learning_rate=draw(st.floats(0, 1, exclude_min=True)),
        gamma=draw(st.floats(0, 1, exclude_max=True)),
        batch_size=batch_size,
        buffer_size=draw(st.integers(batch_size, max(batch_size, max_buffer))),
        # The first gradient step comes after learning_starts + 1 transitions: at least a batch.
        learning_starts=draw(st.integers(max(0, batch_size - 1), 10**6)),
        train_freq=draw(st.integers(1, 10**4)),
        gradient_steps=draw(st.integers(1, 10**3)),
        target_update_interval=draw(st.integers(1, 10**5)),
        tau=draw(st.floats(0, 1, exclude_min=True)),
        epsilon_start=epsilon_start,
        epsilon_end=epsilon_end,
        epsilon_decay_steps=draw(st.integers(1, 10**7)),
        epsilon_schedule=schedule,
        loss=draw(st.sampled_from(["huber", "mse"])),
        # inf means "no clipping".
        max_grad_norm=draw(st.just(math.inf) | st.floats(0, exclude_min=True)),
        eval_every=draw(st.integers(0, 10**6)),
        eval_episodes=draw(st.integers(1, 1000)),
        eval_seed=draw(st.integers(0, 2**31 - 1)),
        confirm_episodes=draw(st.integers(0, 1000)),
        solve_threshold=draw(st.none() | st.integers(-1000, 1000) | st.floats(allow_nan=False, allow_infinity=False)),
        double=draw(st.booleans()),
        dueling=draw(st.booleans()),
        target_network=draw(st.booleans()),
        truncation_as_termination=draw(st.booleans()),
    )


@settings(COURSE, max_examples=200)
@given(kwargs=valid_config_kwargs())
def test_every_config_inside_the_documented_ranges_is_accepted(kwargs):
    config = DQNConfig(**kwargs)
    for name, value in kwargs.items():
        assert getattr(config, name) == (tuple(value) if name == "hidden_sizes" else value), name
    assert DQNConfig.from_dict(config.to_dict()) == config


def random_transitions(buffer, n, obs_dim, n_actions, rng):
    """CartPole-sized random transitions: observations in [-5, 5], rewards in [-10, 10]."""
    for _ in range(n):
        obs = rng.uniform(-5, 5, obs_dim).astype(np.float32)
        next_obs = rng.uniform(-5, 5, obs_dim).astype(np.float32)
        buffer.add(obs, int(rng.integers(n_actions)), rng.uniform(-10, 10), next_obs, bool(rng.random() < 0.2))


def assert_action_in_range(action, n_actions):
    assert isinstance(action, int) and not isinstance(action, bool), type(action)
    assert 0 <= action < n_actions


@settings(COURSE, max_examples=15)
@given(
    kwargs=valid_config_kwargs(hidden_sizes=SMALL_HIDDEN, max_batch=32, max_buffer=128),
    obs_dim=st.integers(1, 6),
    n_actions=st.integers(1, 4),
    extra_transitions=st.integers(0, 64),
    epsilon=UNIT,
    seed=st.integers(0, 2**32 - 1),
)
@example(  # no clipping, the case that used to turn every weight into NaN
    kwargs=dict(hidden_sizes=(8,), batch_size=16, buffer_size=64, learning_starts=15, max_grad_norm=math.inf),
    obs_dim=4, n_actions=2, extra_transitions=8, epsilon=0.5, seed=0,
)
@example(  # a finite max_grad_norm above float32's largest number (3.4e38)
    kwargs=dict(hidden_sizes=(8,), batch_size=16, buffer_size=64, learning_starts=15, max_grad_norm=1e308),
    obs_dim=4, n_actions=2, extra_transitions=8, epsilon=0.5, seed=0,
)
def test_every_accepted_config_trains_one_step_without_nan(kwargs, obs_dim, n_actions, extra_transitions, epsilon, seed):
    config = DQNConfig(**kwargs)
    keras.utils.set_random_seed(seed)  # the same initial weights when Hypothesis replays a failure
    rng = np.random.default_rng(seed)
    agent = DQNAgent(obs_dim, n_actions, config)
    buffer = ReplayBuffer(config.buffer_size, obs_dim, rng)
    random_transitions(buffer, config.batch_size + extra_transitions, obs_dim, n_actions, rng)
    batch = buffer.sample(config.batch_size, n_batches=2)
    try:
        loss = agent.train_on_batch(batch)
    except DQNHelpersError as error:
        # Documented behaviour: a diverging step stops with TrainingDivergedError, whose one
        # sentence names the likely cause (a config field). A silent NaN is the failure. In two
        # Adam steps a weight moves by a few learning rates at most, so only a large learning
        # rate can make these small networks diverge; below 0.01 the error would hide a bug.
        diverged = getattr(errors, "TrainingDivergedError", None)
        if diverged is None or not isinstance(error, diverged) or config.learning_rate <= 0.01:
            raise
        note(f"diverged: {error}")
        assert any(re.search(rf"\b{name}\b", str(error)) for name in FIELDS), str(error)
        return
    assert math.isfinite(loss), loss
    assert all(np.all(np.isfinite(w)) for w in agent.q_network.get_weights()), "NaN/inf in q_network weights"
    agent.update_target()
    assert all(np.all(np.isfinite(w)) for w in agent.target_network.get_weights()), "NaN/inf in target_network weights"
    obs = rng.uniform(-5, 5, obs_dim).astype(np.float32)
    assert np.all(np.isfinite(agent.q_values(obs)))
    assert_action_in_range(agent.act(obs), n_actions)
    assert_action_in_range(agent.act(obs, epsilon=epsilon), n_actions)
    assert_action_in_range(agent.act(obs, epsilon=1.0), n_actions)  # the random branch, without rng
    assert_action_in_range(agent.act(obs, epsilon=epsilon, rng=np.random.default_rng(seed)), n_actions)


@settings(COURSE, max_examples=10)
@given(
    hidden_sizes=SMALL_HIDDEN,
    dueling=st.booleans(),
    obs_dim=st.integers(1, 6),
    n_actions=st.integers(1, 4),
    epsilon=UNIT,
    seed=st.integers(0, 2**32 - 1),
)
def test_act_returns_an_action_in_range_with_or_without_rng(hidden_sizes, dueling, obs_dim, n_actions, epsilon, seed):
    keras.utils.set_random_seed(seed)
    agent = DQNAgent(obs_dim, n_actions, DQNConfig(hidden_sizes=hidden_sizes, dueling=dueling))
    obs = np.random.default_rng(seed).uniform(-5, 5, obs_dim).astype(np.float32)
    greedy = agent.act(obs)
    assert_action_in_range(greedy, n_actions)
    assert greedy == int(np.argmax(agent.q_values(obs)))
    for rng in (None, np.random.default_rng(seed)):
        assert_action_in_range(agent.act(obs, epsilon=epsilon, rng=rng), n_actions)
        assert_action_in_range(agent.act(obs, epsilon=1.0, rng=rng), n_actions)


# Values outside the documented ranges, field by field.
NOT_A_VALUE = st.none() | st.text(max_size=5)
NOT_AN_INT = st.booleans() | NOT_A_VALUE | st.floats().filter(lambda x: not x.is_integer())  # nan, inf, 2.5


def outside_integers(minimum):
    return st.integers(max_value=minimum - 1) | NOT_AN_INT


def outside_numbers(low, high, low_open=False, high_open=False):
    def inside(x):
        return (x > low if low_open else x >= low) and (x < high if high_open else x <= high)

    out_of_range = st.floats(max_value=low)
    if math.isfinite(high):
        out_of_range |= st.floats(min_value=high)
    return out_of_range.filter(lambda x: not inside(x)) | st.just(math.nan) | st.booleans() | NOT_A_VALUE


def outside_choices(choices):
    return st.text(max_size=12).filter(lambda s: s not in choices) | st.none() | st.integers()


NOT_A_BOOL = st.integers() | st.floats() | NOT_A_VALUE
HIDDEN_ELEMENT = st.integers(1, 512)
BAD_HIDDEN_ELEMENT = st.integers(max_value=0) | st.booleans() | st.floats() | NOT_A_VALUE

SINGLE_FIELD_OUTSIDE = {
    **{name: outside_integers(1) for name in (
        "total_steps", "batch_size", "buffer_size", "train_freq", "gradient_steps",
        "target_update_interval", "epsilon_decay_steps", "eval_episodes")},
    **{name: outside_integers(0) for name in ("learning_starts", "eval_every", "eval_seed", "confirm_episodes")},
    "hidden_sizes": st.one_of(
        st.just(()), st.just([]), st.none(),
        HIDDEN_ELEMENT,  # (64) instead of (64,): a bare int
        st.tuples(st.lists(HIDDEN_ELEMENT, max_size=2), BAD_HIDDEN_ELEMENT, st.lists(HIDDEN_ELEMENT, max_size=2)).map(
            lambda parts: (*parts[0], parts[1], *parts[2])),
    ),
    "learning_rate": outside_numbers(0, 1, low_open=True),
    "gamma": outside_numbers(0, 1, high_open=True),
    "tau": outside_numbers(0, 1, low_open=True),
    "epsilon_start": outside_numbers(0, 1),
    "epsilon_end": outside_numbers(0, 1),
    "max_grad_norm": outside_numbers(0, math.inf, low_open=True),
    "epsilon_schedule": outside_choices(SCHEDULES),
    "loss": outside_choices(("huber", "mse")),
    "solve_threshold": st.text(max_size=5) | st.booleans() | st.sampled_from([math.nan, math.inf, -math.inf]),
    **{name: NOT_A_BOOL for name in ("double", "dueling", "target_network", "truncation_as_termination")},
}


@st.composite
def invalid_cases(draw):
    """(field names the error may name, DQNConfig kwargs outside the documented ranges)."""
    rule = draw(st.sampled_from(["single field", "epsilon grows", "batch above buffer", "learning starts early", "exponential to 0"]))
    if rule == "single field":
        name = draw(st.sampled_from(sorted(SINGLE_FIELD_OUTSIDE)))
        return (name,), {name: draw(SINGLE_FIELD_OUTSIDE[name])}
    if rule == "epsilon grows":
        start, end = sorted(draw(st.lists(UNIT, min_size=2, max_size=2, unique=True)))
        return ("epsilon_end", "epsilon_start"), dict(epsilon_start=start, epsilon_end=end)
    if rule == "batch above buffer":
        buffer_size = draw(st.integers(1, 10**4))
        batch_size = draw(st.integers(buffer_size + 1, 2 * 10**4))
        return ("batch_size", "buffer_size"), dict(batch_size=batch_size, buffer_size=buffer_size, learning_starts=batch_size)
    if rule == "learning starts early":
        batch_size = draw(st.integers(2, 10**4))
        learning_starts = draw(st.integers(0, batch_size - 2))
        return ("learning_starts", "batch_size"), dict(batch_size=batch_size, buffer_size=10**5, learning_starts=learning_starts)
    return ("epsilon_end",), dict(epsilon_schedule="exponential", epsilon_end=0.0)


@settings(COURSE, max_examples=400)
@given(case=invalid_cases())
def test_every_value_outside_the_documented_ranges_is_rejected_naming_the_field(case):
    names, kwargs = case
    with pytest.raises(DQNHelpersError) as caught:
        DQNConfig(**kwargs)
    message = str(caught.value)
    assert any(re.search(rf"\b{name}\b", message) for name in names), message
    assert "\n" not in message


@COURSE
@given(
    kwargs=valid_config_kwargs(),
    other=valid_config_kwargs(),
    name=st.sampled_from(FIELDS),
    outside=st.sampled_from(sorted(SINGLE_FIELD_OUTSIDE)).flatmap(lambda name: st.tuples(st.just(name), SINGLE_FIELD_OUTSIDE[name])),
)
def test_config_is_frozen_and_replace_validates_the_copy(kwargs, other, name, outside):
    config = DQNConfig(**kwargs)
    before = fields_of(config)
    value = other[name]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(config, name, value)
    # replace() behaves exactly like building a config from scratch with the one change.
    try:
        expected = DQNConfig(**{**before, name: value})
    except DQNHelpersError as error:
        with pytest.raises(DQNHelpersError) as caught:
            dataclasses.replace(config, **{name: value})
        assert str(caught.value) == str(error)
    else:
        changed = dataclasses.replace(config, **{name: value})
        assert changed is not config and changed == expected
    bad_name, bad_value = outside
    with pytest.raises(DQNHelpersError, match=rf"\b{bad_name}\b"):
        dataclasses.replace(config, **{bad_name: bad_value})
    assert fields_of(config) == before  # the original never changes
