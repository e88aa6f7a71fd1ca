"""train_population: K independent agents in lockstep, each what train would have trained with its seed."""
import csv
import json
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

from dqn_helpers import DQNConfig, DQNHelpersError, evaluate, load_agent, save_agent, train
from dqn_helpers.population import LockstepCartPoles, train_population

SHORT = dict(total_steps=2_000, learning_starts=300, hidden_sizes=(32, 32), train_freq=64, gradient_steps=16,
             target_update_interval=64, epsilon_decay_steps=1_500, eval_every=1_000, eval_episodes=5,
             confirm_episodes=0)


def same_run(a, b):
    return (a.episode_returns == b.episode_returns and a.episode_end_steps == b.episode_end_steps
            and a.td_losses == b.td_losses and a.evaluations == b.evaluations)


def test_a_member_does_not_depend_on_the_other_members():
    config = DQNConfig(**SHORT)
    _, alone = train_population("CartPole-v1", config, [3], progress=False)
    _, together = train_population("CartPole-v1", config, [9, 3, 11, 5], progress=False)
    assert [h.seed for h in together] == [9, 3, 11, 5]
    assert same_run(alone[0], together[1])  # bit for bit: the same returns, losses and evaluations
    assert not same_run(together[0], together[1])


def test_a_member_that_solves_stops_and_the_others_go_on():
    config = DQNConfig(**{**SHORT, "solve_threshold": 20.0, "eval_episodes": 5})
    agents, histories = train_population("CartPole-v1", config, [0, 1, 2], progress=False)
    for agent, history in zip(agents, histories):
        if history.solved:
            assert history.env_steps == history.solved_at == history.evaluations[-1]["env_steps"]
            # The returned agent is the one that was evaluated: evaluate() gives the same mean.
            again = evaluate(agent, "CartPole-v1", config.eval_episodes, config.eval_seed)
            assert again.mean == history.evaluations[-1]["mean"]
        else:
            assert history.env_steps == config.total_steps
    _, alone = train_population("CartPole-v1", config, [2], progress=False)
    assert same_run(alone[0], histories[2])


def test_one_member_runs_trains_algorithm():
    """Before the first gradient step, K = 1 and train are the same run exactly; after it, the same up to float rounding."""
    config = DQNConfig(**SHORT)
    agent, reference = train("CartPole-v1", config, seed=4, progress=False)
    _, (member,) = train_population("CartPole-v1", config, [4], progress=False)
    before = [i for i, end in enumerate(reference.episode_end_steps) if end <= config.learning_starts]
    assert before and [reference.episode_returns[i] for i in before] == member.episode_returns[:len(before)]
    assert member.td_loss_steps == reference.td_loss_steps and member.gradient_steps == reference.gradient_steps
    np.testing.assert_allclose(member.td_losses[:5], reference.td_losses[:5], rtol=1e-4)
    np.testing.assert_allclose(member.grad_norms[:5], reference.grad_norms[:5], rtol=1e-4)
    assert [e["env_steps"] for e in member.evaluations] == [e["env_steps"] for e in reference.evaluations]


def test_lockstep_cartpoles_match_gymnasium_bit_for_bit():
    seeds = [0, 7, 42]
    envs = [gym.make("CartPole-v1") for _ in seeds]
    references = [gym.make("CartPole-v1") for _ in seeds]
    lockstep = LockstepCartPoles(envs)
    obs = lockstep.reset_all(seeds)
    assert np.array_equal(obs, np.stack([env.reset(seed=s)[0] for env, s in zip(references, seeds)]))
    rng, endings = np.random.default_rng(0), 0
    for _ in range(3_000):
        actions = rng.integers(0, 2, size=len(seeds))
        next_obs, rewards, terminated, truncated = lockstep.step(actions)
        for row, env in enumerate(references):
            o, r, term, trunc, _ = env.step(int(actions[row]))
            assert np.array_equal(o, next_obs[row]) and r == rewards[row]
            assert (term, trunc) == (terminated[row], truncated[row])
            if term or trunc:
                endings += 1
                assert np.array_equal(lockstep.reset_member(row), env.reset()[0])
    assert endings > 100
    assert not LockstepCartPoles.fits(gym.make("CartPole-v1", sutton_barto_reward=True))
    assert not LockstepCartPoles.fits(gym.make("Acrobot-v1"))


def test_an_env_without_lockstep_physics_is_stepped_one_by_one():
    config = DQNConfig(**{**SHORT, "total_steps": 700, "eval_every": 700})
    _, alone = train_population("Acrobot-v1", config, [1], progress=False)
    _, together = train_population("Acrobot-v1", config, [0, 1], progress=False)
    assert alone[0].env_id == "Acrobot-v1" and alone[0].episode_returns
    assert same_run(alone[0], together[1])


def test_a_member_saves_and_loads(tmp_path):
    agents, histories = train_population("CartPole-v1", DQNConfig(**SHORT), [0, 1], progress=False)
    save_agent(agents[1], tmp_path / "seed_1", env_id="CartPole-v1")
    loaded, env_id = load_agent(tmp_path / "seed_1")
    assert env_id == "CartPole-v1"
    for a, b in zip(agents[1].q_network.get_weights(), loaded.q_network.get_weights()):
        assert np.array_equal(a, b)
    assert evaluate(loaded, env_id, 5).mean == evaluate(agents[1], env_id, 5).mean


def test_ctrl_c_returns_what_was_learned_so_far(monkeypatch):
    from dqn_helpers import population

    calls = {"n": 0}
    original = LockstepCartPoles.step

    def step(self, actions):
        calls["n"] += 1
        if calls["n"] > 900:
            raise KeyboardInterrupt
        return original(self, actions)

    monkeypatch.setattr(population.LockstepCartPoles, "step", step)
    agents, histories = train_population("CartPole-v1", DQNConfig(**SHORT), [0, 1], progress=False)
    assert [h.interrupted for h in histories] == [True, True]
    assert [h.env_steps for h in histories] == [900, 900]
    assert len(agents) == 2 and agents[0].q_values(np.zeros(4, np.float32)).shape == (2,)


@pytest.mark.parametrize("seeds, words", [
    ([], "seeds is empty"),
    ([1, 2, 1], "must be distinct: [1]"),
    ([0, -3], "each seed"),
    ("0-19", "list of integers"),
    (5, "list of integers"),
])
def test_bad_seeds_get_one_sentence(seeds, words):
    with pytest.raises(DQNHelpersError, match="^.*" + words.replace("[", r"\[").replace("]", r"\]")):
        train_population("CartPole-v1", DQNConfig(**SHORT), seeds, progress=False)


def test_an_env_dqn_cannot_learn_is_refused():
    with pytest.raises(DQNHelpersError, match="Pendulum"):
        train_population("Pendulum-v1", DQNConfig(**SHORT), [0, 1], progress=False)


def test_divergence_names_the_seeds():
    from dqn_helpers import TrainingDivergedError

    class HugeRewards(gym.RewardWrapper):
        def reward(self, reward):
            return reward * 1e38

    config = DQNConfig(**{**SHORT, "learning_rate": 1.0, "max_grad_norm": float("inf"), "loss": "mse", "eval_every": 0})
    with pytest.raises(TrainingDivergedError, match=r"seed\(s\) \[0, 1\]"):
        train_population(lambda: HugeRewards(gym.make("CartPole-v1")), config, [0, 1], progress=False)


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "dqn_helpers", *args], capture_output=True, text=True, cwd=cwd)


def test_cli_trains_several_seeds_into_one_folder_each(tmp_path):
    flags = ["--total-steps", "1000", "--learning-starts", "300", "--hidden-sizes", "32", "32", "--train-freq", "64",
             "--gradient-steps", "8", "--eval-every", "500", "--eval-episodes", "3", "--confirm-episodes", "0"]
    done = run_cli("train", "--seeds", "2-3,7", "--out", "runs", "--no-progress", *flags, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "3 agents in one population" in done.stdout
    runs = tmp_path / "runs"
    assert sorted(p.name for p in runs.iterdir()) == ["seed_2", "seed_3", "seed_7", "summary.csv"]
    for seed in (2, 3, 7):
        files = {p.name for p in (runs / f"seed_{seed}").iterdir()}
        assert {"model.keras", "config.json", "history.csv", "results.json", "learning_curve.png"} <= files
        assert json.loads((runs / f"seed_{seed}" / "results.json").read_text())["seed"] == seed
    with open(runs / "summary.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["seed"]) for r in rows] == [2, 3, 7] and all(int(r["env_steps"]) == 1000 for r in rows)
    again = run_cli("train", "--seeds", "0-1", "--out", "runs", *flags, cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr


@pytest.mark.parametrize("seeds, words", [("5-2", "not a list of seeds"), ("1,1", "must be distinct"), ("a", "not a list of seeds")])
def test_cli_bad_seeds_get_one_line(tmp_path, seeds, words):
    done = run_cli("train", "--seeds", seeds, "--out", "runs", cwd=tmp_path)
    assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "runs").exists()


def test_over_seeds_0_to_9_members_and_train_agree_statistically():
    """Not bit for bit (see the module docstring), so: the same solve rate and steps-to-solve, within seed noise."""
    config = DQNConfig(hidden_sizes=(48, 48), learning_rate=4e-3, epsilon_decay_steps=4_000, total_steps=30_000)
    seeds = range(10)
    _, members = train_population("CartPole-v1", config, seeds, progress=False)
    alone = [train("CartPole-v1", config, seed=s, progress=False)[1] for s in seeds]
    steps = lambda hs: np.array([h.solved_at if h.solved else config.total_steps + config.eval_every for h in hs], float)
    a, b = steps(members), steps(alone)
    assert abs(sum(h.solved for h in members) - sum(h.solved for h in alone)) <= 3
    # A permutation test of the difference of mean steps-to-solve (unsolved counted as one evaluation past the budget).
    observed = abs(a.mean() - b.mean())
    pooled, rng = np.concatenate([a, b]), np.random.default_rng(0)
    shuffled = [rng.permutation(pooled) for _ in range(10_000)]
    p_value = np.mean([abs(x[:10].mean() - x[10:].mean()) >= observed for x in shuffled])
    assert p_value > 0.01, (a, b, p_value)
    # The same algorithm: the first evaluations, before the runs can part, are the same.
    assert all(m.evaluations[0]["env_steps"] == t.evaluations[0]["env_steps"] for m, t in zip(members, alone))


def test_when_the_stack_shrinks_the_members_left_keep_their_run(monkeypatch):
    """Five of eight members solve at the first evaluation: the other three move, weights, targets and
    Adam moments, into a smaller stack compiled anew, and each goes on exactly as it would alone."""
    from dqn_helpers import population

    original = population._Evaluator.evaluate
    forced = {0, 1, 2, 4, 5}  # member indices made to "solve" at step 1,000

    def evaluate(self, nets, live, threshold):
        results = original(self, nets, live, threshold)
        if len(live) == 8:
            for m, result in zip(live, results):
                result["solved"] = m in forced
        return results

    config = DQNConfig(**{**SHORT, "total_steps": 3_000})
    monkeypatch.setattr(population._Evaluator, "evaluate", evaluate)
    rows = []
    drop_unused = population.StackedQNetworks.drop_unused

    def recorded(self, live):
        drop_unused(self, live)
        rows.append(len(self.rows))

    monkeypatch.setattr(population.StackedQNetworks, "drop_unused", recorded)
    _, together = train_population("CartPole-v1", config, range(8), progress=False)
    assert [h.solved for h in together] == [m in forced for m in range(8)]
    assert rows == [3]  # the stack shrank from 8 rows to the 3 members left
    _, alone = train_population("CartPole-v1", config, [6], progress=False)
    assert together[6].td_losses[-1] and len(together[6].td_losses) == len(alone[0].td_losses)
    assert same_run(alone[0], together[6])
