import numpy as np
import pytest

from dqn_helpers import DQNAgent, DQNConfig, load_agent, save_agent
from dqn_helpers.errors import DQNHelpersError


@pytest.fixture
def saved(tmp_path):
    agent = DQNAgent(4, 2, DQNConfig(hidden_sizes=(16, 16), gamma=0.97))
    folder = save_agent(agent, tmp_path / "run", env_id="CartPole-v1")
    return agent, folder


def test_round_trip_keeps_actions_config_and_env(saved):
    agent, folder = saved
    loaded, env_id = load_agent(folder)
    assert env_id == "CartPole-v1"
    assert loaded.config == agent.config
    obs = np.random.default_rng(0).normal(size=(100, 4)).astype(np.float32)
    np.testing.assert_array_equal(loaded.greedy_actions(obs), agent.greedy_actions(obs))
    np.testing.assert_allclose(loaded.target_network(obs).numpy(), agent.q_network(obs).numpy(), rtol=1e-6)
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.keras"]  # no temp files left


def test_missing_folder(tmp_path):
    with pytest.raises(DQNHelpersError, match="There is no saved agent at .*does not exist"):
        load_agent(tmp_path / "nowhere")


def test_folder_without_model(saved):
    _, folder = saved
    (folder / "model.keras").unlink()
    with pytest.raises(DQNHelpersError, match="is not a saved agent: it has no model.keras"):
        load_agent(folder)


def test_corrupt_config(saved):
    _, folder = saved
    (folder / "config.json").write_text("{not json")
    with pytest.raises(DQNHelpersError, match="config.json is corrupt"):
        load_agent(folder)


def test_corrupt_model(saved):
    _, folder = saved
    (folder / "model.keras").write_bytes(b"this is not a zip file")
    with pytest.raises(DQNHelpersError, match="model.keras cannot be read as a Keras model"):
        load_agent(folder)
