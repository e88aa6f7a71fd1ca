"""Many seeds at once: a population of independent DQN agents, one per seed, trained in lockstep.

``training.train`` (notebook 04) is the reference: one agent, one env, one step at a time, the
loop a learner reads and writes. ``train_population`` runs that same loop for K seeds side by
side, so that the work of one step is done for all K members by one computation instead of K:

- acting: one NumPy forward pass gives every member's Q-values, from weights stacked on a
  leading member axis (``_stacked_forward``);
- env steps: K CartPoles are one NumPy computation (``LockstepCartPoles``); other envs are
  stepped one after another (``_LoopedEnvs``), which gives the same transitions;
- learning: K replay buffers are arrays with a leading member axis, and the gradient steps of
  every member are one compiled TensorFlow call (``StackedQNetworks``): batched matrix products
  over weights of shape (K, in, out), compiled by XLA;
- evaluation: every member's greedy episodes run side by side, all members at once.

Members share nothing. Each has its own env, replay buffer, random generator (drawn in the same
order as ``train`` draws with that seed), weights (initialised as ``train`` initialises them),
gradient-norm clipping and Adam moments; their losses are added, and the gradient of a sum with
respect to one member's weights is that member's own gradient. So a member's run does not depend
on what the other members do: seed 3 alone and seed 3 among three other seeds give the same
episode returns, bit for bit (tested). One thing can still reach its last bits: XLA chooses how to
compute a batched product by the size of the stack, so populations of very different sizes can
round differently (measured: 48-48 networks give identical runs in populations of 1 to 10 members,
and another, equally valid, rounding from 12 members on); after some thousand gradient steps such a
difference changes an action and the runs part. The same seeds in the same population always give
the same result, which is what ``sweeps`` relies on. With one seed a member is ``train``'s
algorithm, hyperparameter for hyperparameter. It is not ``train``'s
arithmetic bit for bit: Keras's ``Dense`` adds its bias and ``clip_by_global_norm`` adds squares in
another order than a batched product does, so the last bit of a weight can differ, and after some
thousand gradient steps such differences change an action and the runs part (tested: the same
solve rate and steps-to-solve over seeds 0-9, statistically).

A member that solves the env (``train``'s stopping rule, on the same evaluation episodes) stops
there, as ``train`` stops: its history ends at that step, its weights are kept, and the others go
on without it. Introduced in `05_greedy_evaluation.ipynb`.
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ._threads import one_blas_thread
from .config import DQNConfig
from .envs import EnvLike, check_dqn_env, env_factory, obs_dim_and_actions
from .errors import DQNHelpersError, TrainingDivergedError, check_integer
from .progress import progress_bar
from .seeding import seed_everything
from .training import History, stopping_rule

if TYPE_CHECKING:
    from .agent import DQNAgent


def train_population(env: EnvLike, config: DQNConfig | None = None, seeds: Iterable[int] = range(10),
                     progress: bool = True, eval_env: EnvLike | None = None) -> tuple[list[DQNAgent], list[History]]:
    """Train one DQN agent per seed, all in lockstep; returns ``(agents, histories)``, one per seed, in order.

    Each member runs ``train(env, config, seed)``'s algorithm with its seed (see this module's
    docstring for what members share: nothing, and why a member is not ``train``'s run to the last
    bit); for one seed, ``train`` is the reference and the faster choice. ``env`` is an env id, an ``EnvSpec``, an env
    (rebuilt from its spec) or a function returning a new env, as for ``evaluate``; every member
    gets its own. ``histories[i].wall_seconds`` is the population's time until member i stopped.
    Ctrl-C stops training and returns what was learned so far (``history.interrupted`` set on the
    members still training). A member whose loss or weights stop being finite raises
    ``TrainingDivergedError`` naming its seed. Introduced in `05_greedy_evaluation.ipynb`.
    """
    from .agent import DQNAgent
    from .networks import build_q_network

    config = config if config is not None else DQNConfig()
    if not isinstance(config, DQNConfig):
        raise DQNHelpersError(f"config must be a DQNConfig, got {type(config).__name__}; build one with DQNConfig(...).")
    if not isinstance(progress, bool):
        raise DQNHelpersError(f"progress must be True or False, got {progress!r}.")
    seeds = checked_seeds(seeds)
    make = env_factory(env, purpose="training")
    make_eval = env_factory(eval_env if eval_env is not None else env) if config.eval_every else None

    # Set up each member exactly as train sets up its run: seed everything, then build the Q-network.
    envs, rngs, histories, initial_weights = [], [], [], []
    for seed in seeds:
        member_env = check_dqn_env(make())
        rng = seed_everything(seed, member_env)
        obs_dim, n_actions = obs_dim_and_actions(member_env)
        initial_weights.append(build_q_network(obs_dim, n_actions, config.hidden_sizes, dueling=config.dueling).get_weights())
        spec = member_env.spec
        threshold = config.solve_threshold if config.solve_threshold is not None else (spec.reward_threshold if spec else None)
        envs.append(member_env)
        rngs.append(rng)
        histories.append(History(env_id=spec.id if spec else "", seed=seed, solve_threshold=threshold))
    k = len(seeds)
    threshold = histories[0].solve_threshold
    engine = LockstepCartPoles(envs) if LockstepCartPoles.fits(envs[0]) else _LoopedEnvs(envs)
    evaluator = _Evaluator(make_eval, config) if make_eval is not None else None
    buffers = _StackedBuffers(k, config.buffer_size, envs[0].observation_space.shape)
    nets = StackedQNetworks(initial_weights, n_actions, config)
    final_weights: list[list[np.ndarray] | None] = [None] * k

    live = list(range(k))  # members still training, in seed order; the row of each array they fill
    obs = engine.reset_all(seeds)
    returns, lengths = np.zeros(k), np.zeros(k, dtype=np.int64)
    step = steps_taken = 0
    start = time.perf_counter()
    name = histories[0].env_id or "population"
    bar = progress_bar(total=config.total_steps, unit="step", disable=not progress, desc=f"{name} x {k} seeds")
    bar.set_postfix_str(f"solved 0/{k}", refresh=False)
    try:
        with one_blas_thread():
            for step in range(1, config.total_steps + 1):
                # 1. act: one forward pass for all members, then each member's own coin and random action
                epsilon = config.epsilon(step)
                actions = np.argmax(nets.q_values(obs, live), axis=-1)
                if epsilon > 0.0:
                    for row, m in enumerate(live):
                        if rngs[m].random() < epsilon:
                            actions[row] = rngs[m].integers(n_actions)
                next_obs, rewards, terminated, truncated = engine.step(actions)
                # 2. store (terminated ends the return, truncated does not), and reset the members whose episode ended
                ended = terminated | truncated if config.truncation_as_termination else terminated
                buffers.add(obs, actions, rewards, next_obs, ended)
                returns[:len(live)] += rewards
                lengths[:len(live)] += 1
                for row in np.flatnonzero(terminated | truncated):
                    history = histories[live[row]]
                    history.episode_returns.append(float(returns[row]))
                    history.episode_lengths.append(int(lengths[row]))
                    history.episode_end_steps.append(step)
                    history.episode_epsilons.append(epsilon)
                    returns[row], lengths[row] = 0.0, 0
                    next_obs[row] = engine.reset_member(row)
                obs = next_obs
                steps_taken = step

                # 3. learn: every live member's gradient steps in one compiled call
                if step > config.learning_starts and step % config.train_freq == 0:
                    indices = [rngs[m].integers(0, buffers.size, size=(config.gradient_steps, config.batch_size)) for m in live]
                    losses, max_qs, norms = nets.train(buffers.gather(np.stack(indices, axis=1)), live)
                    bad = [seeds[m] for row, m in enumerate(live) if not np.isfinite(losses[row]) or not nets.finite(m)]
                    if bad:
                        raise TrainingDivergedError.for_seeds(bad, step,
                            f"training diverged for seed(s) {bad} by step {step}: the TD loss or the Q-network's weights are no "
                            f"longer finite; lower learning_rate (now {config.learning_rate}) or keep max_grad_norm finite "
                            f"(now {config.max_grad_norm}).")
                    for row, m in enumerate(live):
                        history = histories[m]
                        history.td_losses.append(float(losses[row]))
                        history.td_loss_steps.append(step)
                        history.mean_max_q.append(float(max_qs[row]))
                        history.grad_norms.append(float(norms[row]))
                        history.gradient_steps += config.gradient_steps

                # 4. move the target networks
                if step % config.target_update_interval == 0:
                    nets.update_target()

                # 5. evaluate every live member on the same episodes; a member that solved stops here
                if evaluator is not None and step % config.eval_every == 0:
                    for m, evaluation in zip(list(live), evaluator.evaluate(nets, live, threshold)):
                        evaluation["env_steps"] = step
                        histories[m].evaluations.append(evaluation)
                        if evaluation["solved"]:
                            histories[m].solved = True
                            histories[m].env_steps = step
                            histories[m].wall_seconds = time.perf_counter() - start
                            final_weights[m] = (nets.member_weights(m), nets.member_weights(m, target=True))
                    keep = [row for row, m in enumerate(live) if not histories[m].solved]
                    if len(keep) < len(live):
                        live = [live[row] for row in keep]
                        obs, returns[:len(keep)], lengths[:len(keep)] = obs[keep], returns[keep], lengths[keep]
                        engine.keep(keep)
                        buffers.keep(keep)
                        nets.drop_unused(live)
                        bar.set_postfix_str(f"solved {k - len(live)}/{k}", refresh=False)
                    if not live:
                        break
                if step % 250 == 0:
                    bar.update(step - bar.n)
    except KeyboardInterrupt:
        for m in live:
            histories[m].interrupted = True
    finally:
        wall = time.perf_counter() - start
        for m in live:
            histories[m].env_steps, histories[m].wall_seconds = steps_taken, wall
        bar.update(steps_taken - bar.n)
        if not live:  # every member solved: a full, green bar
            bar.finish_early(f"solved {k}/{k}")
        bar.close()

    agents = []
    for m in range(k):
        online, target = final_weights[m] or (nets.member_weights(m), nets.member_weights(m, target=True))
        agent = DQNAgent(obs_dim, n_actions, config)
        agent.q_network.set_weights(online)
        agent.target_network.set_weights(target)
        agent.gradient_steps = histories[m].gradient_steps
        agents.append(agent)
    for member_env in envs:
        member_env.close()
    return agents, histories


def greedy_returns(agents: Sequence[DQNAgent], env: EnvLike, n_episodes: int = 100, seed: int = 20_000) -> np.ndarray:
    """Greedy returns, shape ``(len(agents), n_episodes)``, of agents of one config on episodes seed, seed + 1, ...

    Row i holds ``evaluate(agents[i], env, n_episodes, seed).returns``, computed for all agents side
    by side (CartPole-v1 as NumPy physics) as ``train_population`` evaluates its members.
    """
    from types import SimpleNamespace

    if not agents:
        raise DQNHelpersError("greedy_returns needs at least one agent.")
    config = agents[0].config
    if any(a.config.hidden_sizes != config.hidden_sizes or a.config.dueling != config.dueling for a in agents):
        raise DQNHelpersError("greedy_returns evaluates agents of one network shape; these differ in hidden_sizes or dueling.")
    check_integer("n_episodes", n_episodes, 1)
    check_integer("seed", seed, 0)
    weights = [np.stack(ws) for ws in zip(*(a.q_network.get_weights() for a in agents))]
    nets = SimpleNamespace(rows=list(range(len(agents))), weights=weights, config=config)
    with one_blas_thread():
        return _Evaluator(env_factory(env), config).returns(nets, nets.rows, n_episodes, seed)


def checked_seeds(seeds) -> list[int]:
    """The seeds as a list of distinct integers >= 0, or one sentence saying what is wrong."""
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Iterable):
        raise DQNHelpersError(f"seeds must be a list of integers such as range(20), got {seeds!r}.")
    seeds = [check_integer("each seed", s, 0) for s in seeds]
    if not seeds:
        raise DQNHelpersError("seeds is empty: give at least one seed, such as range(20).")
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if repeated:
        raise DQNHelpersError(f"seeds must be distinct: {repeated} appear more than once, and a seed trains one agent.")
    return seeds


# ----------------------------------------------------------------------------------------------
# Q-networks with a leading member axis


def _stacked_forward(weights, x, dueling, xp):
    """Q-values of K MLPs at once: kernels (K, in, out), biases (K, out), x (K, N, in) -> (K, N, n_actions).

    ``networks.numpy_forward``, one more axis; ``xp`` is NumPy (acting) or TensorFlow (learning).
    """
    matmul, relu = (np.matmul, lambda h: np.maximum(h, 0.0)) if xp is np else (xp.linalg.matmul, xp.nn.relu)
    n_hidden = len(weights) // 2 - (2 if dueling else 1)
    for i in range(n_hidden):
        x = relu(matmul(x, weights[2 * i]) + weights[2 * i + 1][:, None, :])
    if not dueling:
        return matmul(x, weights[-2]) + weights[-1][:, None, :]
    value = matmul(x, weights[-4]) + weights[-3][:, None, :]
    advantage = matmul(x, weights[-2]) + weights[-1][:, None, :]
    mean = advantage.mean(axis=-1, keepdims=True) if xp is np else xp.reduce_mean(advantage, axis=-1, keepdims=True)
    return value + advantage - mean


class StackedQNetworks:
    """K Q-networks and K target networks as variables of shape (K, ...), trained by one compiled call.

    Row r holds member ``rows[r]``. A member that stops keeps its row (its batches are zeros and
    its updates are thrown away) until half the rows are unused; then the rows still in use are
    copied, with their Adam moments, into a smaller stack, and the call is compiled again for it
    (a few seconds: worth it only for a large cut, so stacks of fewer than 8 rows are kept).
    """

    def __init__(self, member_weights: Sequence[Sequence[np.ndarray]], n_actions: int, config: DQNConfig,
                 rows: Sequence[int] | None = None):
        from ._tensorflow import tf
        import keras

        self._tf, self.config, self.n_actions = tf, config, n_actions
        self.rows = list(rows) if rows is not None else list(range(len(member_weights)))
        stacked = [np.stack(ws) for ws in zip(*member_weights)]
        self.online = [keras.Variable(w) for w in stacked]
        self.target = [keras.Variable(w) for w in stacked]
        self.optimizer = keras.optimizers.Adam(learning_rate=config.learning_rate)
        self.optimizer.build(self.online)
        self.weights = stacked  # NumPy copy of the online weights, for acting; refreshed by every call
        # One XLA-compiled program per stack size: the many small operations of a gradient step
        # fused (measured: 1.9x faster than TensorFlow's graph for 20 64-64 networks, 1.5x for three
        # 256-256 ones), for about 130 MB more memory, the compiler's.
        self._train_fn = tf.function(self._train_steps, jit_compile=True, autograph=False)
        self._acting = None  # (live members, their rows' weights) for acting

    def q_values(self, obs, live):
        """Q-values (len(live), n_actions) of each live member for its own observation, with NumPy."""
        if self._acting is None or self._acting[0] != live:
            if live == self.rows:
                self._acting = (list(live), self.weights)
            else:
                rows = [self.rows.index(m) for m in live]
                self._acting = (list(live), [w[rows] for w in self.weights])
        return _stacked_forward(self._acting[1], obs[:, None, :], self.config.dueling, np)[:, 0]

    def member_weights(self, m, target=False):
        r = self.rows.index(m)
        return [np.array(v[r]) for v in self.target] if target else [w[r].copy() for w in self.weights]

    def finite(self, m):
        r = self.rows.index(m)
        return all(np.isfinite(w[r]).all() for w in self.weights)

    def train(self, batch, live):
        """One call: each row's gradient steps on its member's batches (G, len(live), B, ...); per-live-member stats."""
        tf = self._tf
        if live != self.rows:  # rows of stopped members get zeros, and their results are not read
            where = [self.rows.index(m) for m in live]
            full = []
            for array in batch:
                padded = np.zeros((array.shape[0], len(self.rows), *array.shape[2:]), dtype=array.dtype)
                padded[:, where] = array
                full.append(padded)
            batch = full
        loss, max_q, norm, weights = self._train_fn(*[tf.convert_to_tensor(b) for b in batch])
        self.weights = [w.numpy() for w in weights]
        self._acting = None
        rows = [self.rows.index(m) for m in live]
        return loss.numpy()[rows], max_q.numpy()[rows], norm.numpy()[rows]

    def _gradient_step(self, obs, actions, rewards, next_obs, terminated):
        """``DQNAgent._train_step`` for every row at once: its targets, loss, per-row clipping and Adam."""
        import keras

        tf, config, dueling = self._tf, self.config, self.config.dueling
        next_q = _stacked_forward(self.target if config.target_network else self.online, next_obs, dueling, tf)
        if config.double:
            best = tf.argmax(_stacked_forward(self.online, next_obs, dueling, tf), axis=-1)
            next_value = tf.reduce_sum(next_q * tf.one_hot(best, self.n_actions), axis=-1)
        else:
            next_value = tf.reduce_max(next_q, axis=-1)
        targets = tf.stop_gradient(rewards + config.gamma * (1.0 - terminated) * next_value)
        with tf.GradientTape() as tape:
            q_all = _stacked_forward(self.online, obs, dueling, tf)
            q_taken = tf.reduce_sum(q_all * tf.one_hot(actions, self.n_actions), axis=-1)
            if config.loss == "huber":
                per_row = keras.losses.huber(targets, q_taken)  # the mean over the batch axis: (K,)
            else:
                per_row = tf.reduce_mean(tf.square(targets - q_taken), axis=-1)
            loss = tf.reduce_sum(per_row)  # a sum: each row's gradient is its own loss's gradient
        gradients = tape.gradient(loss, self.online)
        # Each row's global norm, over its own slices of every weight (clip_by_global_norm, per row).
        norms = tf.sqrt(tf.add_n([tf.reduce_sum(tf.square(g), axis=list(range(1, len(g.shape)))) for g in gradients]))
        if config.max_grad_norm <= float(np.finfo(np.float32).max):
            scale = tf.minimum(1.0, config.max_grad_norm / tf.maximum(norms, 1e-30))
            gradients = [g * tf.reshape(scale, [-1] + [1] * (len(g.shape) - 1)) for g in gradients]
        self.optimizer.apply_gradients(zip(gradients, self.online))
        return per_row, tf.reduce_mean(tf.reduce_max(q_all, axis=-1), axis=-1), norms

    def _train_steps(self, obs, actions, rewards, next_obs, terminated):
        """Gradient step i on batch i, for i along the leading axis; the means of the per-row statistics."""
        tf = self._tf
        n = tf.shape(obs)[0]

        def body(i, sums):
            results = self._gradient_step(obs[i], actions[i], rewards[i], next_obs[i], terminated[i])
            return i + 1, [s + r for s, r in zip(sums, results)]

        zeros = [tf.zeros(tf.shape(obs)[1:2]) for _ in range(3)]
        _, sums = tf.while_loop(lambda i, _: i < n, body, (tf.constant(0), zeros))
        means = [s / tf.cast(n, tf.float32) for s in sums]
        return (*means, [tf.convert_to_tensor(v) for v in self.online])

    def update_target(self):
        tau = self.config.tau
        for online, target in zip(self.online, self.target):
            target.assign(online if tau >= 1.0 else tau * online + (1.0 - tau) * target)

    def drop_unused(self, live):
        """Once at most half the rows hold live members, keep only theirs (weights, targets and Adam moments)."""
        if not live or 2 * len(live) > len(self.rows) or len(self.rows) < 8:
            return
        keep = [self.rows.index(m) for m in live]
        old = self.optimizer
        smaller = StackedQNetworks([[w[r] for w in self.weights] for r in keep], self.n_actions, self.config, rows=live)
        for new, previous in zip(smaller.target, self.target):
            new.assign(previous.numpy()[keep])
        for moments_new, moments_old in ((smaller.optimizer._momentums, old._momentums),
                                         (smaller.optimizer._velocities, old._velocities)):
            for new, previous in zip(moments_new, moments_old):
                new.assign(previous.numpy()[keep])
        smaller.optimizer.iterations.assign(old.iterations)
        self.__dict__.update(smaller.__dict__)


# ----------------------------------------------------------------------------------------------
# Replay buffers with a leading member axis


class _StackedBuffers:
    """K ``ReplayBuffer``s as arrays of shape (K, capacity, ...): every member adds one transition per step,
    so all share one write position and one size."""

    def __init__(self, k, capacity, obs_shape):
        self.obs = np.zeros((k, capacity, *obs_shape), dtype=np.float32)
        self.next_obs = np.zeros_like(self.obs)
        self.actions = np.zeros((k, capacity), dtype=np.int32)
        self.rewards = np.zeros((k, capacity), dtype=np.float32)
        self.terminated = np.zeros((k, capacity), dtype=np.float32)
        self.capacity, self.position, self.size = capacity, 0, 0

    def add(self, obs, actions, rewards, next_obs, terminated):
        i = self.position
        self.obs[:, i], self.actions[:, i], self.rewards[:, i] = obs, actions, rewards
        self.next_obs[:, i], self.terminated[:, i] = next_obs, terminated
        self.position = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def gather(self, indices):
        """indices (G, K, B), member k's slots in its own buffer -> obs, actions, rewards, next_obs, terminated, each (G, K, B, ...)."""
        k, capacity = self.obs.shape[:2]
        flat = (indices + capacity * np.arange(k)[:, None]).ravel()  # slot i of member k is row k * capacity + i
        return [np.take(a.reshape(k * capacity, *a.shape[2:]), flat, axis=0).reshape(*indices.shape, *a.shape[2:])
                for a in (self.obs, self.actions, self.rewards, self.next_obs, self.terminated)]

    def keep(self, rows):
        for name in ("obs", "next_obs", "actions", "rewards", "terminated"):
            setattr(self, name, getattr(self, name)[rows])


# ----------------------------------------------------------------------------------------------
# Environments, stepped for all members at once


class _LoopedEnvs:
    """Any envs: each member's env stepped in turn. ``step`` returns the final observation of an
    episode that ended; ``reset_member`` then starts the next (as ``train`` does, in the same step)."""

    def __init__(self, envs):
        self.envs = list(envs)

    def reset_all(self, seeds):
        return np.stack([env.reset(seed=seed)[0] for env, seed in zip(self.envs, seeds)]).astype(np.float32)

    def reset_member(self, row, seed=None):
        return self.envs[row].reset(seed=seed)[0]

    def step(self, actions):
        results = [env.step(int(a)) for env, a in zip(self.envs, actions)]
        return (np.stack([r[0] for r in results]).astype(np.float32), np.array([float(r[1]) for r in results]),
                np.array([bool(r[2]) for r in results]), np.array([bool(r[3]) for r in results]))

    def keep(self, rows):
        self.envs = [self.envs[r] for r in rows]


class LockstepCartPoles:
    """K CartPole-v1 envs stepped as one NumPy computation, each member resetting from its own generator.

    gymnasium's own vectorised CartPole draws every sub-env's starting state from one shared
    generator, so a member's episodes would depend on which other members exist. Here member k
    resets with the generator of its own ``gymnasium.make`` env, seeded as ``train`` seeds it,
    and the physics is ``CartPoleEnv.step``'s, written for arrays: each member gets the
    observations, rewards and endings its own env would give it (tested, bit for bit).
    """

    def __init__(self, envs):
        self.envs = list(envs)
        self.cores = [env.unwrapped for env in self.envs]
        self.max_steps = self.envs[0].spec.max_episode_steps
        self.state = np.zeros((4, len(self.envs)))  # one row per state variable, one column per member
        self.elapsed = np.zeros(len(self.envs), dtype=np.int64)

    @staticmethod
    def fits(env) -> bool:
        """True for a CartPole as ``gymnasium.make`` builds it with its defaults (the physics below is that one)."""
        import gymnasium as gym
        from gymnasium.envs.classic_control.cartpole import CartPoleEnv

        plain = (gym.wrappers.TimeLimit, gym.wrappers.OrderEnforcing, gym.wrappers.PassiveEnvChecker)
        layer, wrappers = env, set()
        while isinstance(layer, gym.Wrapper):
            wrappers.add(type(layer))
            layer = layer.env
        return (type(layer) is CartPoleEnv and gym.wrappers.TimeLimit in wrappers and wrappers <= set(plain)
                and layer.kinematics_integrator == "euler" and not layer._sutton_barto_reward
                and layer.render_mode is None)

    def reset_all(self, seeds):
        return np.stack([self.reset_member(row, seed) for row, seed in enumerate(seeds)])

    def reset_member(self, row, seed=None):
        obs, _ = self.envs[row].reset(seed=seed)  # draws from this member's own generator
        self.state[:, row] = self.cores[row].state
        self.elapsed[row] = 0
        return obs

    def step(self, actions):
        self.state, terminated = cartpole_physics(self.cores[0], self.state, actions)
        self.elapsed += 1
        return self.state.T.astype(np.float32), np.ones(len(self.elapsed)), terminated, self.elapsed >= self.max_steps

    def keep(self, rows):
        self.envs = [self.envs[r] for r in rows]
        self.cores = [self.cores[r] for r in rows]
        self.state, self.elapsed = self.state[:, rows], self.elapsed[rows]


def cartpole_physics(c, state, actions):
    """``CartPoleEnv.step`` (Euler integration) for a batch of states (4, N) and actions (N,): new states, terminated.

    The same operations in the same order as gymnasium's, so the same float64 results."""
    x, x_dot, theta, theta_dot = state
    force = (2.0 * actions - 1.0) * c.force_mag  # action 1 pushes right, 0 left
    costheta, sintheta = np.cos(theta), np.sin(theta)
    temp = (force + c.polemass_length * np.square(theta_dot) * sintheta) / c.total_mass
    thetaacc = (c.gravity * sintheta - costheta * temp) / (
        c.length * (4.0 / 3.0 - c.masspole * np.square(costheta) / c.total_mass))
    xacc = temp - c.polemass_length * thetaacc * costheta / c.total_mass
    new = np.array([x + c.tau * x_dot, x_dot + c.tau * xacc, theta + c.tau * theta_dot, theta_dot + c.tau * thetaacc])
    terminated = (np.abs(new[0]) > c.x_threshold) | (np.abs(new[2]) > c.theta_threshold_radians)
    return new, terminated


# ----------------------------------------------------------------------------------------------
# Greedy evaluation of every live member at once


class _Evaluator:
    """``evaluate_for_stopping`` for many members: their greedy episodes (episode i reset with
    ``eval_seed + i``, the same for every member) run side by side, one forward pass per step."""

    def __init__(self, make_eval, config):
        self.make, self.config = make_eval, config
        probe = make_eval()
        self.lockstep = LockstepCartPoles.fits(probe)
        self.core = probe.unwrapped
        self.max_steps = probe.spec.max_episode_steps if probe.spec else None
        probe.close()
        self._starts = {}  # CartPole starting states by seed

    def evaluate(self, nets, live, threshold):
        first = self.returns(nets, live, self.config.eval_episodes, self.config.eval_seed)
        confirm = {}
        if threshold is not None and self.config.confirm_episodes:
            reached = [m for m, r in zip(live, first) if r.mean() >= threshold]
            if reached:
                more = self.returns(nets, reached, self.config.confirm_episodes, self.config.eval_seed + self.config.eval_episodes)
                confirm = dict(zip(reached, more))
        runs = {}
        for m, r in zip(live, first):
            runs[m] = stopping_rule(lambda n, seed, m=m, r=r: r if seed == self.config.eval_seed else confirm[m],
                                    self.config, threshold)
        return [runs[m] for m in live]

    def returns(self, nets, members, n, seed):
        """Greedy returns (len(members), n) of the given members on episodes seed, seed + 1, ..."""
        rows = [nets.rows.index(m) for m in members]
        weights = [w[rows] for w in nets.weights]
        q = lambda obs: _stacked_forward(weights, obs, nets.config.dueling, np)  # (M, n, d) -> (M, n, A)
        k, seeds = len(members), [seed + i for i in range(n)]
        if self.lockstep:
            return self._cartpole_returns(q, k, seeds)
        envs = [self.make() for _ in range(k * n)]
        try:
            obs = np.stack([env.reset(seed=s)[0] for env, s in zip(envs, seeds * k)]).astype(np.float32)
            returns, running = np.zeros(k * n), np.ones(k * n, dtype=bool)
            while running.any():
                actions = np.argmax(q(obs.reshape(k, n, -1)), axis=-1).ravel()
                for i in np.flatnonzero(running):
                    obs[i], reward, terminated, truncated, _ = envs[i].step(int(actions[i]))
                    returns[i] += reward
                    running[i] = not (terminated or truncated)
        finally:
            for env in envs:
                env.close()
        return returns.reshape(k, n)

    def _cartpole_returns(self, q, k, seeds):
        for s in seeds:
            if s not in self._starts:
                env = self.make()
                env.reset(seed=s)
                self._starts[s] = env.unwrapped.state.copy()
                env.close()
        state = np.tile(np.stack([self._starts[s] for s in seeds], axis=1), (1, k))  # (4, k * n), member-major
        returns, running = np.zeros(k * len(seeds)), np.ones(k * len(seeds), dtype=bool)
        for _ in range(self.max_steps):
            actions = np.argmax(q(state.T.astype(np.float32).reshape(k, len(seeds), 4)), axis=-1).ravel()
            moved, terminated = cartpole_physics(self.core, state, actions)
            state = np.where(running, moved, state)  # an ended episode stays where it ended
            returns += running  # reward 1 for every step of a running episode, the last one included
            running &= ~terminated
            if not running.any():
                break
        return returns.reshape(k, len(seeds))
