"""Env steps per second: the blog's training loop against ours, same work per step, one process.

Both loops run CartPole-v1 for the same number of env steps and do, per env step: one greedy
action from the blog's 64-64 Q-network, one stored transition, and one gradient step on a
batch of 32. The blog's loop is kept as written (a deque of tuples, random.sample,
model.predict per step, predict_on_batch twice, train_on_batch), fixed only for the
gymnasium API; both buffers are pre-filled with one batch so the blog's loop can sample.
Ours: dqn_helpers.ReplayBuffer, a NumPy forward pass to act, a compiled tf.function step.

    python benchmarks/throughput.py [--steps 400]

Prints both rates and ends with `speedup_vs_seed_loop: N` (issue 2 asks for N >= 30).
"""
import argparse
import random
import sys
import time
from collections import deque

import numpy as np

import dqn_helpers  # first: it sets TensorFlow's environment variables before TensorFlow loads
import keras  # noqa: E402

BATCH_SIZE = 32
GAMMA = 0.99


class BlogDQN(keras.Model):
    """The blog's network: two hidden layers of 64 ReLU units."""

    def __init__(self, num_actions):
        super().__init__()
        self.dense1 = keras.layers.Dense(64, activation="relu")
        self.dense2 = keras.layers.Dense(64, activation="relu")
        self.dense3 = keras.layers.Dense(num_actions)

    def call(self, inputs):
        return self.dense3(self.dense2(self.dense1(inputs)))


def blog_loop(env, n_steps, warmup):
    model = BlogDQN(int(env.action_space.n))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    replay_buffer = deque(maxlen=10_000)
    state, _ = env.reset(seed=0)
    for _ in range(BATCH_SIZE):  # pre-fill: the blog samples before its buffer holds a batch
        action = env.action_space.sample()
        next_state, reward, terminated, truncated, _ = env.step(action)
        replay_buffer.append((state, action, reward, next_state, terminated or truncated))
        state = next_state if not (terminated or truncated) else env.reset()[0]

    start = None
    for step in range(warmup + n_steps):
        if step == warmup:
            start = time.perf_counter()
        q_values = model.predict(state[np.newaxis, :], verbose=0)
        action = int(np.argmax(q_values))
        next_state, reward, terminated, truncated, _ = env.step(action)
        done = terminated or truncated
        replay_buffer.append((state, action, reward, next_state, done))
        batch = random.sample(replay_buffer, BATCH_SIZE)
        states, actions, rewards, next_states, dones = zip(*batch)
        q_values = model.predict_on_batch(np.array(states))
        next_q_values = model.predict_on_batch(np.array(next_states))
        targets = np.array(rewards) + GAMMA * np.amax(next_q_values, axis=1) * (1 - np.array(dones))
        q_values[np.arange(len(q_values)), actions] = targets
        model.train_on_batch(np.array(states), q_values)
        state = next_state if not done else env.reset()[0]
    return n_steps / (time.perf_counter() - start)


def our_loop(env, n_steps, warmup):
    config = dqn_helpers.DQNConfig(hidden_sizes=(64, 64), batch_size=BATCH_SIZE, gamma=GAMMA, learning_rate=1e-3)
    rng = np.random.default_rng(0)
    agent = dqn_helpers.DQNAgent(4, int(env.action_space.n), config)
    replay_buffer = dqn_helpers.ReplayBuffer(10_000, env.observation_space.shape, rng)
    obs, _ = env.reset(seed=0)
    for _ in range(BATCH_SIZE):
        action = int(env.action_space.sample())
        next_obs, reward, terminated, truncated, _ = env.step(action)
        replay_buffer.add(obs, action, reward, next_obs, terminated)
        obs = next_obs if not (terminated or truncated) else env.reset()[0]

    start = None
    for step in range(warmup + n_steps):
        if step == warmup:
            start = time.perf_counter()
        action = agent.act(obs)  # greedy, NumPy forward pass
        next_obs, reward, terminated, truncated, _ = env.step(action)
        replay_buffer.add(obs, action, reward, next_obs, terminated)
        agent.train_on_batch(replay_buffer.sample(BATCH_SIZE))
        obs = next_obs if not (terminated or truncated) else env.reset()[0]
    return n_steps / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=400, help="timed env steps per loop (default 400)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed steps first (tracing, caches)")
    args = parser.parse_args()
    dqn_helpers.seed_everything(0)
    env = dqn_helpers.make_env("CartPole-v1")
    random.seed(0)
    blog = blog_loop(env, args.steps, args.warmup)
    ours = our_loop(env, args.steps, args.warmup)
    print(f"CartPole-v1, {args.steps} timed env steps each, 1 gradient step (batch {BATCH_SIZE}, 64-64 net) per env step")
    print(f"{'loop':<42} {'env steps/s':>12}")
    print(f"{'blog (model.predict, deque, train_on_batch)':<42} {blog:>12.1f}")
    print(f"{'dqn_helpers (NumPy act, ring buffer, tf.function)':<42} {ours:>12.1f}")
    print(f"speedup_vs_seed_loop: {ours / blog:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
