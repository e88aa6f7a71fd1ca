"""The checker of notebook 04's loop exercise accepts a right loop and names each usual mistake."""
import pytest

from dqn_helpers.exercises import check_dqn_loop
from dqn_helpers.training import evaluate_for_stopping


def make_loop(mistake=None):
    """The pseudocode's lines 3-16, right, or with one deliberate mistake."""

    def dqn_loop(env, agent, replay_buffer, config, rng, seed):
        threshold = env.spec.reward_threshold
        log = {"episode_returns": [], "td_losses": [], "evaluations": []}
        obs, _ = env.reset(seed=None if mistake == "unseeded reset" else seed)         # 3
        episode_return, episode = 0.0, 0
        for t in range(1, config.total_steps + 1):                                     # 4
            epsilon = {"no decay": config.epsilon_start,
                       "per episode": config.epsilon(episode + 1)}.get(mistake, config.epsilon(t))  # 5
            action = agent.act(obs, epsilon) if mistake == "no rng" else agent.act(obs, epsilon, rng)  # 6
            next_obs, reward, terminated, truncated, _ = env.step(action)              # 7
            stored = terminated or truncated if mistake == "truncation as termination" else terminated
            replay_buffer.add(obs, action, reward, next_obs, stored)                  # 8
            obs, episode_return = next_obs, episode_return + float(reward)             # 9
            if terminated or truncated:
                log["episode_returns"].append(episode_return)
                episode += 1
                if mistake != "no reset":
                    obs, _ = env.reset()
                if mistake != "return not reset":
                    episode_return = 0.0
            ready = {"train before learning_starts": True,
                     "sample before a batch": True}.get(mistake, t > config.learning_starts)
            if mistake == "sample before a batch":
                ready = True  # the classic snippet: sample from the first step on
            if ready and t % config.train_freq == 0 or mistake == "sample before a batch":
                batch = replay_buffer.sample(config.batch_size, n_batches=config.gradient_steps)  # 11-12
                log["td_losses"].append(agent.train_on_batch(batch))                   # 13-14
            if mistake == "online bootstrap":
                agent.update_target()  # every step: the target is the online network
            elif mistake == "target interval":
                if t % (2 * config.target_update_interval) == 0:
                    agent.update_target()
            elif mistake != "no target update" and t % config.target_update_interval == 0:   # 15
                agent.update_target()
            if config.eval_every and t % config.eval_every == 0:                       # 16
                evaluation = evaluate_for_stopping(agent, env.spec, config, threshold)
                log["evaluations"].append(evaluation["mean"])
                if evaluation["solved"]:
                    break
        return log

    return dqn_loop


def run(capsys, loop):
    verdict = check_dqn_loop(loop)
    return bool(verdict), capsys.readouterr().out


def test_the_right_loop_passes(capsys):
    passed, out = run(capsys, make_loop())
    assert passed and out.strip() == "DQN loop: correct.", out


def test_a_stub_is_not_done_yet(capsys):
    def stub(env, agent, replay_buffer, config, rng, seed):
        raise NotImplementedError

    passed, out = run(capsys, stub)
    assert not passed and "not done yet" in out


@pytest.mark.parametrize("mistake, words", [
    ("no target update", "never updates the target network"),
    ("target interval", "t % config.target_update_interval == 0"),
    ("online bootstrap", "bootstrap from the online network"),
    ("train before learning_starts", "before learning starts"),
    ("sample before a batch", "sampled a batch of 64 from a buffer holding 1 transition"),
    ("truncation as termination", "truncated by the time limit and your loop stored it as terminated"),
    ("no decay", "Epsilon never decays"),
    ("per episode", "once per episode"),
    ("no reset", "stepped an episode that had already ended"),
    ("return not reset", "add up across episodes"),
    ("unseeded reset", "env.reset(seed=seed)"),
    ("no rng", "pass the run's generator to agent.act(obs, epsilon, rng)"),  # acts, but unreproducibly
])
def test_each_mistake_gets_its_own_feedback(capsys, mistake, words):
    passed, out = run(capsys, make_loop(mistake))
    assert not passed, f"{mistake}: the checker passed a wrong loop"
    assert out.count("\n") == 1 and words in out, out
