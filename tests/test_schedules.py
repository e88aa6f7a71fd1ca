import pytest

from dqn_helpers import DQNConfig, exponential_epsilon, linear_epsilon


@pytest.mark.parametrize("schedule", [linear_epsilon, exponential_epsilon])
def test_end_points_and_monotone_decay(schedule):
    assert schedule(0, 1.0, 0.05, 1000) == pytest.approx(1.0)
    assert schedule(1000, 1.0, 0.05, 1000) == pytest.approx(0.05)
    assert schedule(10_000, 1.0, 0.05, 1000) == pytest.approx(0.05)
    values = [schedule(step, 1.0, 0.05, 1000) for step in range(0, 1200, 50)]
    assert all(a >= b for a, b in zip(values, values[1:]))
    assert values[1] < values[0]  # it really decays, unlike the blog's growing schedule


def test_linear_midpoint_and_exponential_midpoint():
    assert linear_epsilon(500, 1.0, 0.0, 1000) == pytest.approx(0.5)
    # Geometric interpolation: half-way the value is the geometric mean of the end points.
    assert exponential_epsilon(500, 1.0, 0.01, 1000) == pytest.approx(0.1)


def test_invalid_schedules_are_rejected():
    with pytest.raises(ValueError, match="end <= start"):
        linear_epsilon(0, 0.1, 0.5, 100)
    with pytest.raises(ValueError, match="decay_steps"):
        linear_epsilon(0, 1.0, 0.1, 0)
    with pytest.raises(ValueError, match="end > 0"):
        exponential_epsilon(0, 1.0, 0.0, 100)


def test_config_epsilon_follows_its_schedule():
    config = DQNConfig(epsilon_start=1.0, epsilon_end=0.1, epsilon_decay_steps=100, epsilon_schedule="exponential")
    assert config.epsilon(0) == pytest.approx(1.0)
    assert config.epsilon(100) == pytest.approx(0.1)
    assert config.epsilon(50) == pytest.approx(exponential_epsilon(50, 1.0, 0.1, 100))
