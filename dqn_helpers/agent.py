"""The DQN agent: Q-network, target network, compiled train step, and action selection."""
from __future__ import annotations

import contextlib
import math
import weakref
from collections.abc import Iterator, Mapping

import numpy as np

from . import _tensorflow  # noqa: F401  (TensorFlow the course's way, before Keras loads it)
from ._threads import limit_blas, one_blas_thread, restore_blas
from .config import DQNConfig
from .errors import DQNHelpersError, TrainingDivergedError, check_number
from .networks import build_q_network, numpy_forward

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402


@tf.autograph.experimental.do_not_convert  # plain Python, also when traced: nothing to convert
def _check_target_shapes(function, rewards, terminated, **q_values):
    """NumPy inputs (a learner's call) must line up; tensors come from the compiled step, already checked."""
    if any(tf.is_tensor(x) for x in (rewards, terminated, *q_values.values())):
        return
    n = np.shape(rewards)
    for name, q in q_values.items():
        if len(np.shape(q)) != 2 or np.shape(q)[:1] != n or np.shape(terminated) != n:
            raise DQNHelpersError(
                f"{function} needs rewards and terminated of shape (batch,) and {name} of shape (batch, n_actions), "
                f"got {n}, {np.shape(terminated)} and {np.shape(q)}.")


def td_targets(rewards, next_q_target, terminated, gamma: float):
    """TD targets ``y = r + gamma * (1 - terminated) * max_a' Q(s', a'; θ⁻)``.

    Only ``terminated`` stops the bootstrap: after a time-limit ``truncated`` the pole was
    still up and the future still had value, so such transitions must be stored with
    ``terminated = 0``. Works on NumPy arrays and TensorFlow tensors alike.
    Introduced in `02_keras_q_network.ipynb`.
    """
    _check_target_shapes("td_targets", rewards, terminated, next_q_target=next_q_target)
    not_terminal = 1.0 - keras.ops.cast(terminated, "float32")
    max_next_q = keras.ops.max(keras.ops.cast(next_q_target, "float32"), axis=-1)
    return keras.ops.cast(rewards, "float32") + gamma * not_terminal * max_next_q


def double_td_targets(rewards, next_q_online, next_q_target, terminated, gamma: float):
    """Double DQN targets ``y = r + gamma * (1 - terminated) * Q(s', argmax_a' Q(s', a'; θ); θ⁻)``.

    The online network chooses the next action and the target network values it, so the
    max no longer picks the action whose value happens to be overestimated the most
    (van Hasselt et al., 2016). Introduced in `06_beyond_vanilla_dqn.ipynb`.
    """
    _check_target_shapes("double_td_targets", rewards, terminated, next_q_online=next_q_online,
                         next_q_target=next_q_target)
    best = keras.ops.argmax(next_q_online, axis=-1)
    n_actions = keras.ops.shape(next_q_target)[-1]
    chosen = keras.ops.sum(keras.ops.cast(next_q_target, "float32") * keras.ops.one_hot(best, n_actions), axis=-1)
    not_terminal = 1.0 - keras.ops.cast(terminated, "float32")
    return keras.ops.cast(rewards, "float32") + gamma * not_terminal * chosen


class DQNAgent:
    """A Q-network, its target network, an optimizer, and how to act and learn.

    - ``act`` / ``greedy_actions`` run the Q-network as a NumPy forward pass (no
      ``model.predict``, no TensorFlow call per env step) from a NumPy copy of its weights,
      which is never stale: every write to the Q-network's variables (``set_weights``, an
      optimizer step of your own, eager or compiled) is noticed, and the next action reads
      the new weights;
    - ``train_on_batch`` runs one or several gradient steps in one compiled ``tf.function``
      call (Huber or MSE loss, gradient-norm clipping, Adam), and raises
      ``TrainingDivergedError`` if the loss or the weights stop being finite;
    - ``update_target`` copies (``tau=1``) or blends (``tau<1``) the Q-network into the
      target network.

    ``config.double`` switches to Double DQN targets, ``config.dueling`` to a dueling
    head, and ``config.target_network=False`` bootstraps from the Q-network itself (the
    classic snippet's way, kept for ablations). The config is frozen and the agent keeps it:
    for other settings, make a new agent with ``dataclasses.replace(config, ...)``.
    Introduced in `04_training_loop.ipynb`.
    """

    def __init__(self, obs_dim: int, n_actions: int, config: DQNConfig | None = None):
        if config is None:
            config = DQNConfig()
        if not isinstance(config, DQNConfig):
            raise DQNHelpersError(f"config must be a DQNConfig, got {type(config).__name__}; build one with DQNConfig(...).")
        self._config = config
        hidden, dueling = config.hidden_sizes, config.dueling
        self._q_network = build_q_network(obs_dim, n_actions, hidden, name="q_network", dueling=dueling)
        self._target_network = build_q_network(obs_dim, n_actions, hidden, name="target_network", dueling=dueling)
        self.obs_dim, self.n_actions = int(obs_dim), int(n_actions)
        self._target_network.set_weights(self._q_network.get_weights())
        self.optimizer = keras.optimizers.Adam(learning_rate=config.learning_rate)
        # Build the optimizer's slots now: variables cannot be created inside the compiled loop.
        self.optimizer.build(self._q_network.trainable_variables)
        if config.loss == "huber":
            self.loss_fn = keras.losses.Huber(delta=1.0)
        else:
            self.loss_fn = keras.losses.MeanSquaredError()
        # A fixed signature (any number of gradient steps, any batch size) means one trace,
        # and a cheap call: TensorFlow skips matching the arguments against earlier traces.
        batches = tf.TensorSpec([None, None], tf.float32)
        observations = tf.TensorSpec([None, None, self.obs_dim], tf.float32)
        signature = (observations, tf.TensorSpec([None, None], tf.int32), batches, observations, batches)
        self._train_fn = tf.function(self._train_steps, input_signature=signature)
        self._cached_weights = None  # the NumPy copy of the Q-network's weights; None: read them again
        self._always_read = False  # someone else's compiled graph writes the weights: never trust a copy
        self._own_trace = False  # tracing our own train step, whose new weights train_on_batch copies
        self._scopes = 0
        _watch_writes(self)
        self.gradient_steps = 0  # made by train_on_batch so far
        self.last_stats = {}  # of the latest train_on_batch call: mean_max_q, grad_norm
        self._check_numpy_forward()

    @property
    def config(self) -> DQNConfig:
        """The frozen ``DQNConfig`` the agent was built and compiled with."""
        return self._config

    @property
    def q_network(self) -> keras.Model:
        """The online Q-network ``Q(s, a; θ)``, a Keras model."""
        return self._q_network

    @property
    def target_network(self) -> keras.Model:
        """The target network ``Q(s, a; θ⁻)``, a Keras model of the same shape."""
        return self._target_network

    # ----- acting -------------------------------------------------------------------
    def q_values(self, obs) -> np.ndarray:
        """Q-values for one observation ``(obs_dim,)`` or a batch ``(n, obs_dim)``, as NumPy."""
        try:
            obs = np.asarray(obs, dtype=np.float32)
        except (TypeError, ValueError):
            raise DQNHelpersError(
                f"obs must be an array of {self.obs_dim} numbers (or a batch of them), got {type(obs).__name__}; "
                "env.reset() returns (obs, info): unpack it with obs, info = env.reset().") from None
        if obs.ndim not in (1, 2) or obs.shape[-1] != self.obs_dim:
            raise DQNHelpersError(
                f"obs must have shape ({self.obs_dim},) or (n, {self.obs_dim}) for this agent, got {obs.shape}.")
        if self._scopes:  # inside train or evaluate: the BLAS limit is already set
            return numpy_forward(self._acting_weights(), obs, dueling=self._config.dueling)
        before = limit_blas()  # not a `with` block: this runs at every env step of a learner's loop
        try:
            return numpy_forward(self._acting_weights(), obs, dueling=self._config.dueling)
        finally:
            restore_blas(before)

    def greedy_actions(self, obs_batch) -> np.ndarray:
        """The greedy action ``argmax_a Q(s, a)`` for each observation of a batch."""
        return np.argmax(self.q_values(obs_batch), axis=-1)

    def act(self, obs, epsilon: float = 0.0, rng: np.random.Generator | None = None) -> int:
        """Epsilon-greedy action for one observation: random with probability ``epsilon``.

        The coin and the random action come from ``rng`` (a ``numpy.random.Generator``); without
        one, from NumPy's global generator, which ``seed_everything`` seeds.
        """
        if type(epsilon) is not float or not 0.0 <= epsilon <= 1.0:  # the check, quick for a plain float
            check_number("epsilon", epsilon, 0, 1)
        if epsilon > 0.0:
            if rng is None:
                if np.random.random() < epsilon:
                    return int(np.random.randint(self.n_actions))
            elif rng.random() < epsilon:
                return int(rng.integers(self.n_actions))
        return int(np.argmax(self.q_values(obs)))

    def _acting_weights(self):
        # Reading the variables costs ~1 ms, 50x a forward pass: read only after a write.
        if self._cached_weights is None or (self._always_read and not self._scopes):
            self._cached_weights = self._q_network.get_weights()
        return self._cached_weights

    def _weights_written(self, eagerly):
        """Called by every write to a Q-network variable (see ``_watch_writes``)."""
        if self._own_trace:
            return
        self._cached_weights = None
        if not eagerly:  # a compiled graph will write whenever it runs: read before every action
            self._always_read = True

    @contextlib.contextmanager
    def _acting_scope(self) -> Iterator[None]:
        """One BLAS thread, and one read of the weights, for the length of a block (train, evaluate).

        Inside the block only the agent's own methods run, and ``train_on_batch`` hands over
        its new weights, so even an agent whose weights a compiled graph of the learner's
        writes (``_always_read``) needs no read before every action.
        """
        if not self._scopes and self._always_read:
            self._cached_weights = None
        self._scopes += 1
        try:
            with one_blas_thread():
                yield
        finally:
            self._scopes -= 1

    def _check_numpy_forward(self):
        # The agent acts with numpy_forward, which knows the MLPs build_q_network makes
        # (Dense + ReLU, optionally a dueling head). If the network is edited (a new
        # activation, LayerNorm, ...), acting would silently use another function: refuse.
        probe = np.random.default_rng(0).normal(size=(8, self.obs_dim)).astype(np.float32)
        expected = np.asarray(self._q_network(probe))
        try:
            with one_blas_thread():
                actual = numpy_forward(self._q_network.get_weights(), probe, dueling=self._config.dueling)
            same = actual.shape == expected.shape and np.allclose(actual, expected, rtol=1e-4, atol=1e-5)
        except (ValueError, IndexError, TypeError):
            same = False
        if not same:
            raise DQNHelpersError(
                "the Q-network is not an MLP that the agent's NumPy forward pass (numpy_forward, used to act) "
                "computes the same way: on a probe batch the two disagree, so the agent would act with another "
                "function than the one it trains; keep build_q_network's Dense + ReLU layers, or extend "
                "numpy_forward to match your new layers.")

    # ----- learning -----------------------------------------------------------------
    def train_on_batch(self, batch: Mapping[str, np.ndarray]) -> float:
        """Gradient steps on a batch dict from ``ReplayBuffer.sample``; returns the mean TD loss.

        A batch with a leading axis of length K (``sample(..., n_batches=K)``) makes K
        gradient steps, one per slice, inside a single compiled call. Two signs of
        (in)stability of the same call are kept in ``last_stats``: ``mean_max_q``, the mean
        over the batches of max_a Q(s, a; θ) (how large the Q-values have grown), and
        ``grad_norm``, the mean global gradient norm before clipping. Raises
        ``TrainingDivergedError`` if the loss or any weight is no longer a finite number.
        """
        batch = _checked_batch(batch, self.obs_dim, self.n_actions)
        self._own_trace = True  # the first call traces the step: its writes are ours, and copied below
        try:
            mean_loss, mean_max_q, grad_norm, weights = self._train_fn(
                tf.convert_to_tensor(batch["obs"], tf.float32),
                tf.convert_to_tensor(batch["actions"], tf.int32),
                tf.convert_to_tensor(batch["rewards"], tf.float32),
                tf.convert_to_tensor(batch["next_obs"], tf.float32),
                tf.convert_to_tensor(batch["terminated"], tf.float32),
            )
        finally:
            self._own_trace = False
        # The compiled call also returns the new weights: cheaper than reading the variables again.
        weights = [w.numpy() for w in weights]
        self.gradient_steps += int(batch["obs"].shape[0])
        mean_loss = float(mean_loss)
        self.last_stats = {"mean_max_q": float(mean_max_q), "grad_norm": float(grad_norm)}
        # One sum per array: NaN or inf anywhere makes it NaN or inf (cheaper than np.isfinite(w).all()).
        if not math.isfinite(mean_loss) or not math.isfinite(sum(float(w.sum()) for w in weights)):
            finite = all(np.isfinite(w).all() for w in weights)
            raise TrainingDivergedError(
                f"training diverged by gradient step {self.gradient_steps}: the TD loss is {mean_loss} and the "
                f"Q-network's weights are {'finite but huge' if finite else 'no longer finite'}; "
                f"likely a learning rate too large for these rewards (learning_rate={self._config.learning_rate}), "
                f"gradients left unclipped (max_grad_norm={self._config.max_grad_norm}), or NaN/huge numbers in the "
                "observations or rewards; lower learning_rate or keep max_grad_norm finite, and build a new agent.")
        self._cached_weights = weights
        return mean_loss

    def _train_steps(self, obs, actions, rewards, next_obs, terminated):
        # One gradient step per slice of the leading axis, all inside one graph.
        n_steps = tf.shape(obs)[0]
        losses = tf.TensorArray(tf.float32, size=n_steps)
        max_qs = tf.TensorArray(tf.float32, size=n_steps)
        norms = tf.TensorArray(tf.float32, size=n_steps)
        for i in tf.range(n_steps):
            loss, max_q, norm = self._gradient_step(obs[i], actions[i], rewards[i], next_obs[i], terminated[i])
            losses = losses.write(i, loss)
            max_qs = max_qs.write(i, max_q)
            norms = norms.write(i, norm)
        weights = [tf.convert_to_tensor(v) for v in self._q_network.weights]
        return (tf.reduce_mean(losses.stack()), tf.reduce_mean(max_qs.stack()),
                tf.reduce_mean(norms.stack()), weights)

    def _gradient_step(self, obs, actions, rewards, next_obs, terminated):
        # The target network gives the bootstrap value; no gradient flows through it.
        config = self._config
        bootstrap = self._target_network if config.target_network else self._q_network
        next_q = bootstrap(next_obs)
        if config.double:
            targets = double_td_targets(rewards, self._q_network(next_obs), next_q, terminated, config.gamma)
        else:
            targets = td_targets(rewards, next_q, terminated, config.gamma)
        with tf.GradientTape() as tape:
            q_all = self._q_network(obs, training=True)
            q_taken = tf.reduce_sum(q_all * tf.one_hot(actions, self.n_actions), axis=1)
            loss = self.loss_fn(tf.stop_gradient(targets), q_taken)
        variables = self._q_network.trainable_variables
        gradients = tape.gradient(loss, variables)
        if config.max_grad_norm > FLOAT32_MAX:  # no clipping: clip_by_global_norm(inf) would give NaN
            norm = tf.linalg.global_norm(gradients)
        else:
            gradients, norm = tf.clip_by_global_norm(gradients, config.max_grad_norm)
        self.optimizer.apply_gradients(zip(gradients, variables))
        return loss, tf.reduce_mean(tf.reduce_max(q_all, axis=1)), norm

    def update_target(self, tau: float | None = None) -> None:
        """Move the target network toward the Q-network: ``target <- tau * online + (1 - tau) * target``."""
        tau = check_number("tau", self._config.tau if tau is None else tau, 0, 1, low_open=True)
        for target, online in zip(self._target_network.weights, self._q_network.weights):
            if tau >= 1.0:
                target.assign(online)
            else:
                target.assign(tau * online + (1.0 - tau) * target)


def _watch_writes(agent):
    """Tell ``agent`` whenever one of its Q-network's variables is written.

    Every write, whoever makes it, ends in the ``assign``, ``assign_add`` or ``assign_sub``
    method of the TensorFlow variable under each Keras variable (``set_weights``, Keras's
    optimizers, ``variable.assign``): those methods of these variables (only) are wrapped.
    A write traced into a compiled graph runs later, at every call of the graph, so it
    switches the agent to reading its weights before every action outside train/evaluate.
    """
    agent_ref = weakref.ref(agent)
    for variable in agent._q_network.weights:
        tf_variable = variable.value
        for name in ("assign", "assign_add", "assign_sub"):
            original = getattr(tf_variable, name)

            @tf.autograph.experimental.do_not_convert
            def write(*args, _original=original, **kwargs):
                watched = agent_ref()
                if watched is not None:
                    watched._weights_written(tf.executing_eagerly())
                return _original(*args, **kwargs)

            setattr(tf_variable, name, write)


BATCH_KEYS = ("obs", "actions", "rewards", "next_obs", "terminated")
FLOAT32_MAX = float(np.finfo(np.float32).max)  # a larger clip norm becomes inf in float32


def _checked_batch(batch, obs_dim, n_actions):
    """The batch as arrays with a leading gradient-step axis, or one sentence on what is wrong."""
    if not isinstance(batch, Mapping) or set(BATCH_KEYS) - set(batch):
        missing = sorted(set(BATCH_KEYS) - set(batch)) if isinstance(batch, Mapping) else list(BATCH_KEYS)
        raise DQNHelpersError(f"batch must be a dict with the keys {list(BATCH_KEYS)} (what ReplayBuffer.sample returns); missing {missing}.")
    arrays = {key: np.asarray(batch[key]) for key in BATCH_KEYS}
    if arrays["obs"].ndim == 2:  # one batch: add the gradient-step axis
        arrays = {key: value[None] for key, value in arrays.items()}
    obs = arrays["obs"]
    if obs.ndim != 3 or obs.shape[-1] != obs_dim or obs.shape[1] < 1:
        raise DQNHelpersError(f"batch['obs'] must have shape (batch_size, {obs_dim}) or (n_batches, batch_size, {obs_dim}), got {np.shape(batch['obs'])}.")
    for key in ("actions", "rewards", "terminated"):
        if arrays[key].shape != obs.shape[:2]:
            raise DQNHelpersError(f"batch['{key}'] must have shape {obs.shape[1:2] if obs.shape[0] == 1 else obs.shape[:2]}, one entry per observation, got {np.shape(batch[key])}.")
    actions = arrays["actions"]
    if not np.issubdtype(actions.dtype, np.integer) or actions.size and (actions.min() < 0 or actions.max() >= n_actions):
        raise DQNHelpersError(f"batch['actions'] must hold integer actions in 0..{n_actions - 1}, got values such as {actions.ravel()[:3].tolist()}.")
    if arrays["next_obs"].shape != obs.shape:
        raise DQNHelpersError(f"batch['next_obs'] must have the shape of batch['obs'], {obs.shape}, got {arrays['next_obs'].shape}.")
    return arrays
