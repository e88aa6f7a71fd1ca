"""The DQN agent: Q-network, target network, compiled train step, and action selection."""
import numpy as np

import keras
import tensorflow as tf

from .config import DQNConfig
from .networks import build_q_network, numpy_forward


def td_targets(rewards, next_q_target, terminated, gamma):
    """TD targets ``y = r + gamma * (1 - terminated) * max_a' Q(s', a'; θ⁻)``.

    Only ``terminated`` stops the bootstrap: after a time-limit ``truncated`` the pole was
    still up and the future still had value, so such transitions must be stored with
    ``terminated = 0``. Works on NumPy arrays and TensorFlow tensors alike.
    Introduced in `02_keras_q_network.ipynb`.
    """
    not_terminal = 1.0 - keras.ops.cast(terminated, "float32")
    max_next_q = keras.ops.max(keras.ops.cast(next_q_target, "float32"), axis=-1)
    return keras.ops.cast(rewards, "float32") + gamma * not_terminal * max_next_q


def double_td_targets(rewards, next_q_online, next_q_target, terminated, gamma):
    """Double DQN targets ``y = r + gamma * (1 - terminated) * Q(s', argmax_a' Q(s', a'; θ); θ⁻)``.

    The online network chooses the next action and the target network values it, so the
    max no longer picks the action whose value happens to be overestimated the most
    (van Hasselt et al., 2016). Introduced in `06_beyond_vanilla_dqn.ipynb`.
    """
    best = keras.ops.argmax(next_q_online, axis=-1)
    n_actions = keras.ops.shape(next_q_target)[-1]
    chosen = keras.ops.sum(keras.ops.cast(next_q_target, "float32") * keras.ops.one_hot(best, n_actions), axis=-1)
    not_terminal = 1.0 - keras.ops.cast(terminated, "float32")
    return keras.ops.cast(rewards, "float32") + gamma * not_terminal * chosen


class DQNAgent:
    """A Q-network, its target network, an optimizer, and how to act and learn.

    - ``act`` / ``greedy_actions`` run the Q-network as a NumPy forward pass (no
      ``model.predict``, no TensorFlow call per env step);
    - ``train_on_batch`` runs one or several gradient steps in one compiled ``tf.function``
      call (Huber or MSE loss, gradient-norm clipping, Adam);
    - ``update_target`` copies (``tau=1``) or blends (``tau<1``) the Q-network into the
      target network.

    ``config.double`` switches to Double DQN targets, ``config.dueling`` to a dueling
    head, and ``config.target_network=False`` bootstraps from the Q-network itself (the
    classic snippet's way, kept for ablations). Introduced in `04_training_loop.ipynb`.
    """

    def __init__(self, obs_dim, n_actions, config=None):
        self.config = config if config is not None else DQNConfig()
        self.obs_dim = int(obs_dim)
        self.n_actions = int(n_actions)
        hidden = self.config.hidden_sizes
        dueling = self.config.dueling
        self.q_network = build_q_network(self.obs_dim, self.n_actions, hidden, name="q_network", dueling=dueling)
        self.target_network = build_q_network(self.obs_dim, self.n_actions, hidden, name="target_network", dueling=dueling)
        self.target_network.set_weights(self.q_network.get_weights())
        self.optimizer = keras.optimizers.Adam(learning_rate=self.config.learning_rate)
        # Build the optimizer's slots now: variables cannot be created inside the compiled loop.
        self.optimizer.build(self.q_network.trainable_variables)
        if self.config.loss == "huber":
            self.loss_fn = keras.losses.Huber(delta=1.0)
        else:
            self.loss_fn = keras.losses.MeanSquaredError()
        # A fixed signature (any number of gradient steps, any batch size) means one trace,
        # and a cheap call: TensorFlow skips matching the arguments against earlier traces.
        batches = tf.TensorSpec([None, None], tf.float32)
        observations = tf.TensorSpec([None, None, self.obs_dim], tf.float32)
        signature = (observations, tf.TensorSpec([None, None], tf.int32), batches, observations, batches)
        self._train_fn = tf.function(self._train_steps, input_signature=signature)
        self._numpy_weights = None  # a NumPy copy of the Q-network to act with
        self.last_stats = {}  # of the latest train_on_batch call: mean_max_q, grad_norm

    # ----- acting -------------------------------------------------------------------
    def q_values(self, obs):
        """Q-values for one observation ``(obs_dim,)`` or a batch ``(n, obs_dim)``, as NumPy."""
        if self._numpy_weights is None:
            self._numpy_weights = self.q_network.get_weights()
        return numpy_forward(self._numpy_weights, obs, dueling=self.config.dueling)

    def greedy_actions(self, obs_batch):
        """The greedy action ``argmax_a Q(s, a)`` for each observation of a batch."""
        return np.argmax(self.q_values(obs_batch), axis=-1)

    def act(self, obs, epsilon=0.0, rng=None):
        """Epsilon-greedy action for one observation: random with probability ``epsilon``."""
        if epsilon > 0.0 and (rng if rng is not None else np.random).random() < epsilon:
            return int((rng if rng is not None else np.random).integers(self.n_actions))
        return int(np.argmax(self.q_values(obs)))

    # ----- learning -----------------------------------------------------------------
    def train_on_batch(self, batch):
        """Gradient steps on a batch dict from ``ReplayBuffer.sample``; returns the mean TD loss.

        A batch with a leading axis of length K (``sample(..., n_batches=K)``) makes K
        gradient steps, one per slice, inside a single compiled call. Two signs of
        (in)stability of the same call are kept in ``last_stats``: ``mean_max_q``, the mean
        over the batches of max_a Q(s, a; θ) (how large the Q-values have grown), and
        ``grad_norm``, the mean global gradient norm before clipping.
        """
        obs = np.asarray(batch["obs"], dtype=np.float32)
        if obs.ndim == 2:  # one batch: add the gradient-step axis
            batch = {key: np.asarray(value)[None] for key, value in batch.items()}
        mean_loss, mean_max_q, grad_norm, weights = self._train_fn(
            tf.convert_to_tensor(batch["obs"], tf.float32),
            tf.convert_to_tensor(batch["actions"], tf.int32),
            tf.convert_to_tensor(batch["rewards"], tf.float32),
            tf.convert_to_tensor(batch["next_obs"], tf.float32),
            tf.convert_to_tensor(batch["terminated"], tf.float32),
        )
        # The compiled call also returns the new weights: cheaper than reading the variables again.
        self._numpy_weights = [w.numpy() for w in weights]
        self.last_stats = {"mean_max_q": float(mean_max_q), "grad_norm": float(grad_norm)}
        return float(mean_loss)

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
        weights = [tf.convert_to_tensor(v) for v in self.q_network.weights]
        return (tf.reduce_mean(losses.stack()), tf.reduce_mean(max_qs.stack()),
                tf.reduce_mean(norms.stack()), weights)

    def _gradient_step(self, obs, actions, rewards, next_obs, terminated):
        # The target network gives the bootstrap value; no gradient flows through it.
        bootstrap = self.target_network if self.config.target_network else self.q_network
        next_q = bootstrap(next_obs)
        if self.config.double:
            targets = double_td_targets(rewards, self.q_network(next_obs), next_q, terminated, self.config.gamma)
        else:
            targets = td_targets(rewards, next_q, terminated, self.config.gamma)
        with tf.GradientTape() as tape:
            q_all = self.q_network(obs, training=True)
            q_taken = tf.reduce_sum(q_all * tf.one_hot(actions, self.n_actions), axis=1)
            loss = self.loss_fn(tf.stop_gradient(targets), q_taken)
        variables = self.q_network.trainable_variables
        gradients = tape.gradient(loss, variables)
        gradients, norm = tf.clip_by_global_norm(gradients, self.config.max_grad_norm)
        self.optimizer.apply_gradients(zip(gradients, variables))
        return loss, tf.reduce_mean(tf.reduce_max(q_all, axis=1)), norm

    def update_target(self, tau=None):
        """Move the target network toward the Q-network: ``target <- tau * online + (1 - tau) * target``."""
        tau = self.config.tau if tau is None else tau
        for target, online in zip(self.target_network.weights, self.q_network.weights):
            if tau >= 1.0:
                target.assign(online)
            else:
                target.assign(tau * online + (1.0 - tau) * target)
