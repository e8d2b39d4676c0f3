"""Pins of reference §5 (losses, gradient penalty, optimisers, weight clipping, the critic schedule) on the
project's train step, run with the project's own generator and discriminator.

The inputs make every detail visible: each critic step's real batch carries its own offset, the critic
is non-linear (LeakyReLU, batch norm), so a shared α would change the penalty, the generator has batch
norm, so its mode shows in its output, and the discriminator's phase-shuffle draws are recorded in
every call. Expected values are literals from docs/reference.md (λ 10, clip 0.01, β₂ 0.9, …).
"""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from tests.paper import reference as ref
from wavegan.train import losses
from wavegan.models import WaveGANDiscriminator, WaveGANGenerator
from wavegan.train.trainer import AdversarialTrainer

DIM, BATCH, LATENT = 2, 4, 100


class Spy(keras.Model):
    """Calls `inner` unchanged and records (tag, input, training, output, weights of `watch`) per call."""

    def __init__(self, inner, log, tag, watch=None):
        super().__init__()
        # The bound append, not the list: Keras would track (copy) a list attribute.
        self.inner, self.record, self.tag, self.watch = inner, log.append, tag, watch

    def build(self, input_shape):
        if not self.inner.built:
            self.inner.build(input_shape)
        self.built = True

    def call(self, x, training=False):
        out = self.inner(x, training=training)
        snapshot = [np.array(v.numpy()) for v in self.watch()] if self.watch else None
        self.record((self.tag, np.array(x), training, np.array(out), snapshot))
        return out


def models(batchnorm_d=True, phaseshuffle_rad=2, seed=0):
    keras.utils.set_random_seed(seed)
    g = WaveGANGenerator(dim=DIM, batchnorm=True)
    d = WaveGANDiscriminator(dim=DIM, batchnorm=batchnorm_d, phaseshuffle_rad=phaseshuffle_rad)
    g.build((None, LATENT))
    d.build((None, 16384, 1))
    rng = np.random.default_rng(seed)
    for m in (g, d):
        ref.randomise_batch_norm(m, rng)
        ref.randomise_biases(m, rng)
    return g, d


def record_noise(trainer) -> list:
    log = []
    draw = trainer.iteration_noise

    def recording(batch):
        noise = draw(batch)
        log.append({k: ops.convert_to_numpy(v) for k, v in noise.items()})
        return noise

    trainer.iteration_noise = recording
    return log


def tagged_real(nupdates, seed=0):
    """Real data [batch, nupdates, 16384, 1]; critic step i's slices are offset by 10·i, so each is
    recognisable wherever it turns up."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(-0.5, 0.5, (BATCH, nupdates, 16384, 1))
    return (base + 10.0 * np.arange(nupdates)[None, :, None, None]).astype(np.float32)


def test_one_iteration_follows_the_original_schedule():
    """n critic updates, each on its own real batch and fresh z, D(x), D(G(z)), D(x̂) in that order with
    x̂ = x + α(G(z) − x), α per example; then one G update on fresh z; G in training mode (batch
    statistics) in every pass; every D pass in training mode with four fresh phase-shuffle draws; D's
    update leaves G alone and G's update leaves D alone."""
    n = 3
    g, d = models()
    calls = []
    shuffle_draws = []
    for i, layer in enumerate(d.phase_shuffles[:4]):
        original = layer.shift

        def spy_shift(x, shift, original=original, i=i):
            shuffle_draws.append((len(calls), i, int(ops.convert_to_numpy(shift))))
            return original(x, shift)

        layer.shift = spy_shift
    g_spy = Spy(g, calls, "G", watch=lambda: g.trainable_variables)
    d_spy = Spy(d, calls, "D", watch=lambda: d.trainable_variables)
    trainer = AdversarialTrainer(g_spy, d_spy, latent_dim=LATENT, disc_nupdates=n, seed=1)
    trainer.compile(losses.make_optimizer("wgan-gp"), losses.make_optimizer("wgan-gp"), "wgan-gp", jit_compile=False)
    g_before = [v.numpy().copy() for v in g.trainable_variables]
    noise_log = record_noise(trainer)
    real = tagged_real(n)
    trainer.train_step(tf.constant(real))
    (noise,) = noise_log

    assert [tag for tag, *_ in calls] == ["G", "D", "D", "D"] * n + ["G", "D"]
    assert all(training is True for _, _, training, _, _ in calls)
    for i in range(n):
        g_call, d_real, d_fake, d_interp = calls[4 * i:4 * i + 4]
        np.testing.assert_array_equal(g_call[1], noise["critic_z"][i])  # fresh z for every critic update
        np.testing.assert_array_equal(d_real[1], real[:, i])  # fresh real batch for every critic update
        fake = g_call[3]
        np.testing.assert_array_equal(d_fake[1], fake)
        alpha = noise["alpha"][i]
        np.testing.assert_allclose(d_interp[1], real[:, i] + alpha[:, None, None] * (fake - real[:, i]), rtol=1e-6,
                                   atol=1e-6)
        # G is not updated by critic steps, and runs on batch statistics: its output is the reference's.
        for before, now in zip(g_before, g_call[4]):
            np.testing.assert_array_equal(before, now)
    for i in range(n - 1):
        assert not np.allclose(noise["critic_z"][i], noise["critic_z"][i + 1])
    g_last, d_last = calls[-2], calls[-1]
    np.testing.assert_array_equal(g_last[1], noise["generator_z"])
    np.testing.assert_array_equal(d_last[1], g_last[3])
    # α: one value per example, uniform on [0, 1) (its distribution: test_noise_distributions).
    assert noise["alpha"].shape == (n, BATCH) and len(np.unique(noise["alpha"])) == n * BATCH
    # G's output in the critic steps used batch statistics (training mode), not the moving averages.
    ref_g = WaveGANGenerator.from_config(g.get_config())
    ref_g.build((None, LATENT))
    ref_g.set_weights([w for w in g.get_weights()])
    for v, before in zip(ref_g.trainable_variables, g_before):
        v.assign(before)
    np.testing.assert_allclose(calls[0][3], ref.wavegan_generator(ref_g, noise["critic_z"][0].astype(np.float64)),
                               rtol=2e-4, atol=2e-6)
    # The G update leaves D as the last critic update left it.
    for at_g_step, final in zip(d_last[4], d.trainable_variables):
        np.testing.assert_array_equal(at_g_step, final.numpy())
    # Phase shuffle: four draws (blocks 0–3) in every one of the 3n + 1 D calls.
    d_call_indices = [k for k, (tag, *_) in enumerate(calls) if tag == "D"]
    per_call = {k: [layer for c, layer, _ in shuffle_draws if c == k] for k in d_call_indices}
    assert all(layers == [0, 1, 2, 3] for layers in per_call.values()), per_call
    assert len(shuffle_draws) == 4 * (3 * n + 1)
    assert set(phi for *_, phi in shuffle_draws) <= {-2, -1, 0, 1, 2}
    assert len(set(phi for *_, phi in shuffle_draws)) > 1
    assert int(trainer.g_optimizer.iterations) == 1 and int(trainer.d_optimizer.iterations) == n


def softplus(x):
    return tf.math.softplus(x)


def reference_d_loss(loss, d, real, fake, alpha):
    """reference §5, written out: the critic's objective for each loss (λ = 10, norm over time and channels)."""
    real_logits, fake_logits = d(real, training=True), d(fake, training=True)
    if loss == "dcgan":
        return 0.5 * (tf.reduce_mean(softplus(fake_logits)) + tf.reduce_mean(softplus(real_logits) - real_logits))
    if loss == "lsgan":
        return 0.5 * (tf.reduce_mean((real_logits - 1.0) ** 2) + tf.reduce_mean(fake_logits ** 2))
    wasserstein = tf.reduce_mean(fake_logits) - tf.reduce_mean(real_logits)
    if loss == "wgan":
        return wasserstein
    rank = len(real.shape)  # WaveGAN [b, time, ch]; SpecGAN [b, time, freq, 1]
    x_hat = real + tf.reshape(alpha, [-1] + [1] * (rank - 1)) * (fake - real)  # α per example
    with tf.GradientTape() as tape:
        tape.watch(x_hat)
        summed = tf.reduce_sum(d(x_hat, training=True))
    grad = tape.gradient(summed, x_hat)
    norm = tf.sqrt(tf.reduce_sum(grad ** 2, axis=list(range(1, rank))))  # every non-batch axis
    return wasserstein + 10.0 * tf.reduce_mean((norm - 1.0) ** 2)


def reference_g_loss(loss, fake_logits):
    if loss == "dcgan":
        return tf.reduce_mean(softplus(fake_logits) - fake_logits)  # BCE(D(G(z)), 1): non-saturating
    if loss == "lsgan":
        return tf.reduce_mean((fake_logits - 1.0) ** 2)
    return -tf.reduce_mean(fake_logits)


def clone(model, input_shape, weights):
    copy = model.__class__.from_config(model.get_config())
    copy.build(input_shape)
    copy.set_weights(weights)
    return copy


def specgan_models(seed=0):
    from specgan.models import SpecGANDiscriminator, SpecGANGenerator

    keras.utils.set_random_seed(seed)
    g, d = SpecGANGenerator(dim=DIM, batchnorm=True), SpecGANDiscriminator(dim=DIM, batchnorm=True)
    g.build((None, LATENT))
    d.build((None, 128, 128, 1))
    rng = np.random.default_rng(seed)
    for m in (g, d):
        ref.randomise_batch_norm(m, rng)
        ref.randomise_biases(m, rng)
    return g, d


@pytest.mark.parametrize("kind,loss", [("wavegan", "wgan-gp"), ("wavegan", "wgan"), ("wavegan", "dcgan"),
                                       ("wavegan", "lsgan"), ("specgan", "wgan-gp")])
def test_updates_follow_the_loss_formulas(kind, loss):
    """With plain SGD (lr η) in place of the optimisers, each update is −η × the gradient of the reference's
    objective: the critic's (with λ = 10 and per-example α for wgan-gp, then clipping to ±0.01 for
    wgan), and the generator's on the updated critic."""
    eta = 1.0 if loss != "wgan" else 1e-3
    g, d = models(phaseshuffle_rad=0) if kind == "wavegan" else specgan_models()
    shape = (16384, 1) if kind == "wavegan" else (128, 128, 1)
    if loss == "wgan":  # start inside the clip box so the update itself shows
        for v in d.trainable_variables:
            v.assign(v * (0.008 / max(float(np.abs(v.numpy()).max()), 1e-12)))
    trainer = AdversarialTrainer(g, d, latent_dim=LATENT, disc_nupdates=1, seed=2)
    trainer.compile(keras.optimizers.SGD(eta), keras.optimizers.SGD(eta), loss, jit_compile=False)
    g0, d0 = g.get_weights(), d.get_weights()
    g0_trainable = [v.numpy().copy() for v in g.trainable_variables]
    d0_trainable = [v.numpy().copy() for v in d.trainable_variables]
    noise_log = record_noise(trainer)
    real = tagged_real(1) if kind == "wavegan" else np.random.default_rng(5).uniform(-1, 1, (BATCH, 1) + shape)
    real = real.astype(np.float32)
    trainer.train_step(tf.constant(real))
    (noise,) = noise_log

    ref_g, ref_d = clone(g, (None, LATENT), g0), clone(d, (None,) + shape, d0)
    fake = ref_g(noise["critic_z"][0], training=True)
    with tf.GradientTape() as tape:
        d_loss = reference_d_loss(loss, ref_d, tf.constant(real[:, 0]), fake, tf.constant(noise["alpha"][0]))
    grads = tape.gradient(d_loss, ref_d.trainable_variables)
    scale = max(float(np.abs(gr.numpy()).max()) for gr in grads)
    for before, grad, after in zip(d0_trainable, grads, d.trainable_variables):
        expected = before - eta * grad.numpy()
        if loss == "wgan":
            expected = np.clip(expected, -0.01, 0.01)
        np.testing.assert_allclose(after.numpy(), expected, rtol=1e-3, atol=2e-4 * eta * scale, err_msg=after.path)

    ref_d1 = clone(d, (None,) + shape, d.get_weights())
    with tf.GradientTape() as tape:
        g_loss = reference_g_loss(loss, ref_d1(ref_g(noise["generator_z"], training=True), training=True))
    grads = tape.gradient(g_loss, ref_g.trainable_variables)
    scale = max(float(np.abs(gr.numpy()).max()) for gr in grads)
    for before, grad, after in zip(g0_trainable, grads, g.trainable_variables):
        np.testing.assert_allclose(after.numpy(), before - eta * grad.numpy(), rtol=1e-3, atol=2e-4 * eta * scale,
                                   err_msg=after.path)


def test_wgan_clips_every_critic_variable_after_its_update_and_nothing_of_g():
    g, d = models(phaseshuffle_rad=0)
    trainer = AdversarialTrainer(g, d, latent_dim=LATENT, disc_nupdates=2, seed=3)
    trainer.compile(losses.make_optimizer("wgan"), losses.make_optimizer("wgan"), "wgan", jit_compile=False)
    for v in d.trainable_variables + g.trainable_variables:
        v.assign(np.full(v.shape, 0.5, np.float32) * np.sign(np.random.default_rng(0).normal(size=v.shape)))
    trainer.train_step(tf.constant(tagged_real(2)))
    for v in d.trainable_variables:
        np.testing.assert_allclose(np.abs(v.numpy()), 0.01, rtol=1e-6, err_msg=v.path)
    assert max(float(np.abs(v.numpy()).max()) for v in g.trainable_variables) > 0.4


def test_noise_distributions():
    """z ~ U(−1, 1) for every critic and generator update; α ~ U(0, 1), one per example (reference §3.1, §5)."""
    g, d = models()
    trainer = AdversarialTrainer(g, d, latent_dim=LATENT, disc_nupdates=5, seed=4)
    noise = {k: ops.convert_to_numpy(v) for k, v in trainer.iteration_noise(2000).items()}
    assert noise["critic_z"].shape == (5, 2000, 100) and noise["generator_z"].shape == (2000, 100)
    for z in (noise["critic_z"], noise["generator_z"]):
        assert z.min() >= -1 and z.max() <= 1 and z.min() < -0.999 and z.max() > 0.999
        np.testing.assert_allclose(np.histogram(z, bins=8, range=(-1, 1))[0] / z.size, 1 / 8, atol=0.005)
    alpha = noise["alpha"]
    assert alpha.shape == (5, 2000) and alpha.min() >= 0 and alpha.max() < 1
    np.testing.assert_allclose(np.histogram(alpha, bins=5, range=(0, 1))[0] / alpha.size, 0.2, atol=0.02)


def test_optimisers_update_as_the_spec_settings():
    """Each loss's optimiser, checked by what it does to a variable over three steps: Adam
    (lr, β₁, β₂, ε = 1e-8 outside the root) or TF1 RMSProp (lr, decay 0.9, ε = 1e-10 inside the root,
    accumulators starting at 1), with gradients small enough that ε matters."""
    grads = [np.array([3e-8, -1e-3, 2.0], np.float32), np.array([-1e-8, 2e-3, 1.0], np.float32),
             np.array([2e-8, 1e-3, -0.5], np.float32)]

    def adam(lr, b1, b2, eps):
        w, m, v = np.zeros(3), 0.0, 0.0
        for t, gr in enumerate(grads, 1):
            m, v = b1 * m + (1 - b1) * gr, b2 * v + (1 - b2) * gr.astype(np.float64) ** 2
            w = w - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
        return w

    def rmsprop(lr):
        w, ms = np.zeros(3), np.ones(3)
        for gr in grads:
            ms = 0.9 * ms + 0.1 * gr.astype(np.float64) ** 2
            w = w - lr * gr / np.sqrt(ms + 1e-10)
        return w

    expected = {"wgan-gp": adam(1e-4, 0.5, 0.9, 1e-8), "dcgan": adam(2e-4, 0.5, 0.999, 1e-8),
                "lsgan": rmsprop(1e-4), "wgan": rmsprop(5e-5)}
    for loss, want in expected.items():
        var = keras.Variable(np.zeros(3, np.float32))  # from 0, so float32 rounding stays far below the steps
        opt = losses.make_optimizer(loss)
        for gr in grads:
            opt.apply_gradients([(gr, var)])
        np.testing.assert_allclose(var.numpy(), want, rtol=1e-4, err_msg=loss)
