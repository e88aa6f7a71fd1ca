import numpy as np
import pytest

from dqn_helpers import ReplayBuffer


def fill(buffer, n, start=0):
    for i in range(start, start + n):
        obs = np.full(buffer.obs_shape, i, dtype=np.float32)
        buffer.add(obs, i % 2, float(i), obs + 0.5, terminated=(i % 3 == 0))


def test_len_grows_then_stays_at_capacity():
    buffer = ReplayBuffer(5, (3,), np.random.default_rng(0))
    assert len(buffer) == 0
    fill(buffer, 3)
    assert len(buffer) == 3
    fill(buffer, 10, start=3)
    assert len(buffer) == 5


def test_wrap_around_overwrites_the_oldest_transitions():
    buffer = ReplayBuffer(4, (2,), np.random.default_rng(0))
    fill(buffer, 6)  # transitions 0..5; 0 and 1 are overwritten by 4 and 5
    assert sorted(buffer.rewards.tolist()) == [2.0, 3.0, 4.0, 5.0]
    assert buffer.position == 2
    np.testing.assert_array_equal(buffer.obs[0], [4, 4])
    np.testing.assert_array_equal(buffer.next_obs[1], [5.5, 5.5])


def test_sample_returns_consistent_rows_with_dtypes():
    buffer = ReplayBuffer(100, (4,), np.random.default_rng(0))
    fill(buffer, 50)
    batch = buffer.sample(16)
    assert batch["obs"].shape == (16, 4) and batch["obs"].dtype == np.float32
    assert batch["next_obs"].shape == (16, 4)
    assert batch["actions"].shape == (16,) and np.issubdtype(batch["actions"].dtype, np.integer)
    assert batch["rewards"].dtype == np.float32 and batch["terminated"].dtype == np.float32
    # Each row is one stored transition: obs, reward, next_obs and terminated belong together.
    np.testing.assert_array_equal(batch["obs"][:, 0], batch["rewards"])
    np.testing.assert_array_equal(batch["next_obs"][:, 0], batch["rewards"] + 0.5)
    np.testing.assert_array_equal(batch["terminated"], (batch["rewards"] % 3 == 0).astype(np.float32))


def test_sample_never_returns_empty_slots():
    buffer = ReplayBuffer(1000, (1,), np.random.default_rng(0))
    fill(buffer, 10, start=1)  # rewards 1..10, empty slots hold reward 0
    batch = buffer.sample(10, n_batches=50)
    assert batch["rewards"].min() >= 1


def test_sampling_is_uniform_and_seeded():
    def draw(seed):
        buffer = ReplayBuffer(10, (1,), np.random.default_rng(seed))
        fill(buffer, 10)
        return buffer.sample(10, n_batches=2000)["rewards"]

    counts = np.bincount(draw(1).astype(int).ravel(), minlength=10)
    assert counts.min() > 0.9 * 2000 and counts.max() < 1.1 * 2000  # 2000 expected per slot
    np.testing.assert_array_equal(draw(7), draw(7))
    assert not np.array_equal(draw(7), draw(8))


def test_several_batches_at_once_have_a_leading_axis():
    buffer = ReplayBuffer(100, (4,), np.random.default_rng(0))
    fill(buffer, 100)
    batch = buffer.sample(32, n_batches=5)
    assert batch["obs"].shape == (5, 32, 4)
    assert batch["terminated"].shape == (5, 32)


def test_a_batch_larger_than_the_content_is_a_clear_error():
    buffer = ReplayBuffer(100, (4,), np.random.default_rng(0))
    fill(buffer, 10)
    with pytest.raises(ValueError, match="batch of 32 from a replay buffer holding only 10 transitions"):
        buffer.sample(32)


def test_wrong_shapes_and_capacity_are_rejected():
    buffer = ReplayBuffer(10, (4,), np.random.default_rng(0))
    with pytest.raises(ValueError, match="shape"):
        buffer.add(np.zeros(3), 0, 1.0, np.zeros(4), False)
    with pytest.raises(ValueError, match="capacity"):
        ReplayBuffer(0, (4,))
