import re

import pytest

from dqn_helpers import DQNConfig
from dqn_helpers.errors import DQNHelpersError


@pytest.mark.parametrize(
    "field, value",
    [
        ("gamma", 1.5),
        ("gamma", -0.1),
        ("learning_rate", 0.0),
        ("batch_size", 0),
        ("batch_size", 2.5),
        ("total_steps", True),
        ("tau", 0.0),
        ("epsilon_start", 1.2),
        ("epsilon_schedule", "cosine"),
        ("loss", "l1"),
        ("hidden_sizes", ()),
        ("hidden_sizes", (64, -1)),
        ("max_grad_norm", 0),
        ("solve_threshold", "high"),
    ],
)
def test_invalid_values_raise_an_error_naming_the_field(field, value):
    with pytest.raises(ValueError, match=rf"DQNConfig\.{field} .*got {re.escape(repr(value))}"):
        DQNConfig(**{field: value})


def test_batch_larger_than_buffer_is_rejected():
    with pytest.raises(DQNHelpersError, match="batch_size must not exceed buffer_size"):
        DQNConfig(batch_size=128, buffer_size=100)


def test_epsilon_that_grows_is_rejected():
    with pytest.raises(DQNHelpersError, match="epsilon_end must not exceed epsilon_start"):
        DQNConfig(epsilon_start=0.1, epsilon_end=0.5)


def test_round_trip_through_a_dict():
    config = DQNConfig(gamma=0.95, hidden_sizes=[32, 16])
    assert config.hidden_sizes == (32, 16)
    assert DQNConfig.from_dict(config.to_dict()) == config


def test_unknown_fields_are_named():
    with pytest.raises(DQNHelpersError, match="unknown DQNConfig field"):
        DQNConfig.from_dict({"gama": 0.9})


def test_every_field_has_a_docstring_for_the_command_line():
    import dataclasses

    from dqn_helpers.config import FIELD_HELP

    assert set(FIELD_HELP) == {f.name for f in dataclasses.fields(DQNConfig)}
