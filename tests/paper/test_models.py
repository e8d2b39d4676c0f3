"""Pins of reference §3 (WaveGAN's generator, discriminator and phase shuffle) on the models as built.

Each expected value is a literal from docs/reference.md or the NumPy reference in tests/paper/reference.py,
and each check runs the project's own layers: a change of layer order, batch-norm placement, activation
slope, alignment or phase-shuffle rule in wavegan/ fails here.
"""

import keras
import numpy as np
import pytest
from keras import ops

from tests.paper import reference as ref
from tests.paper.script_flags import source_defaults
from wavegan.models.config import WaveGANConfig
from wavegan.audio.pcm import quantize_int16
from wavegan.layers import PhaseShuffle
from wavegan.models import WaveGANDiscriminator, WaveGANGenerator

DIM = 2  # small, so the NumPy reference runs in a blink; layer order and alignment do not depend on it


def built_generator(batchnorm=True, seed=0, **kwargs):
    keras.utils.set_random_seed(seed)
    g = WaveGANGenerator(dim=DIM, batchnorm=batchnorm, **kwargs)
    g.build((None, 100))
    rng = np.random.default_rng(seed)
    ref.randomise_batch_norm(g, rng)
    ref.randomise_biases(g, rng)
    return g


def built_discriminator(batchnorm=True, phaseshuffle_rad=2, seed=0):
    keras.utils.set_random_seed(seed)
    d = WaveGANDiscriminator(dim=DIM, batchnorm=batchnorm, phaseshuffle_rad=phaseshuffle_rad)
    d.build((None, 16384, 1))
    rng = np.random.default_rng(seed + 1)
    ref.randomise_batch_norm(d, rng)
    ref.randomise_biases(d, rng)
    return d


def latents(n=3, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 100)).astype(np.float32)


def record_phase_shuffles(d) -> list:
    """Wraps each PhaseShuffle's `shift` of `d` so every draw is recorded as (layer index, φ)."""
    draws = []
    for i, layer in enumerate(d.phase_shuffles):
        if layer is None:
            continue
        original = layer.shift

        def spy(x, shift, original=original, i=i):
            draws.append((i, int(ops.convert_to_numpy(shift))))
            return original(x, shift)

        layer.shift = spy
    return draws


# --- defaults (reference §2.1) ---------------------------------------------------------------------------

def test_model_defaults_are_the_papers():
    cfg = WaveGANConfig()
    assert (cfg.latent_dim, cfg.kernel_len, cfg.dim, cfg.batchnorm, cfg.disc_nupdates, cfg.loss,
            cfg.genr_upsample, cfg.genr_pp, cfg.genr_pp_len, cfg.disc_phaseshuffle) == \
           (100, 25, 64, False, 5, "wgan-gp", "zeros", False, 512, 2)
    g, d = WaveGANGenerator(), WaveGANDiscriminator()
    assert (g.latent_dim, g.dim, g.kernel_len, g.upsample, g.batchnorm, g.slice_len) == (100, 64, 25, "zeros", False, 16384)
    assert (d.dim, d.kernel_len, d.batchnorm, d.phaseshuffle_rad) == (64, 25, False, 2)


def test_flag_defaults_are_the_originals():
    """reference §2.1 / §2.2 (data_normalize: on, the original's effective behaviour, docs/differences.md)."""
    spec = {"data_sample_rate": 16000, "data_slice_len": 16384, "data_num_channels": 1, "data_overlap_ratio": 0.0,
            "data_first_slice": False, "data_pad_end": False, "data_fast_wav": False, "data_prefetch_gpu_num": 0,
            "train_batch_size": 64, "train_save_secs": 300, "train_summary_secs": 120, "preview_n": 32,
            "incept_n": 5000, "incept_k": 10}
    wavegan = {"wavegan_latent_dim": 100, "wavegan_kernel_len": 25, "wavegan_dim": 64, "wavegan_batchnorm": False,
               "wavegan_disc_nupdates": 5, "wavegan_loss": "wgan-gp", "wavegan_genr_upsample": "zeros",
               "wavegan_genr_pp": False, "wavegan_genr_pp_len": 512, "wavegan_disc_phaseshuffle": 2}
    specgan = {"specgan_latent_dim": 100, "specgan_kernel_len": 5, "specgan_dim": 64, "specgan_batchnorm": False,
               "specgan_disc_nupdates": 5, "specgan_loss": "wgan-gp", "specgan_genr_upsample": "zeros", "specgan_ngl": 16}
    defaults = source_defaults("wavegan/cli/flags.py", "train_wavegan.py", "train_specgan.py")
    for name, value in {**spec, **wavegan, **specgan}.items():
        assert defaults.get(name, "missing") == value, name
    assert defaults["data_normalize"] is True


# --- generator (reference §3.2) --------------------------------------------------------------------------

@pytest.mark.parametrize("slice_len,strides,channels", [
    (16384, [4, 4, 4, 4, 4], [8, 4, 2, 1]),
    (32768, [4, 4, 4, 4, 4, 2], [16, 8, 4, 2, 1]),
    (65536, [4, 4, 4, 4, 4, 4], [16, 8, 4, 2, 1]),
])
def test_generator_layers_as_built(slice_len, strides, channels):
    g = WaveGANGenerator(slice_len=slice_len, dim=DIM, batchnorm=True, num_channels=1)
    start = 16 if slice_len == 16384 else 32
    assert g.z_project.units == 16 * start * DIM
    assert tuple(g.z_reshape.target_shape) == (16, start * DIM)
    assert all(isinstance(c, keras.layers.Conv1DTranspose) for c in g.upconvs) and len(g.upconvs) == len(strides)
    assert [c.strides[0] for c in g.upconvs] == strides
    assert [c.kernel_size[0] for c in g.upconvs] == [25] * len(strides)
    assert [c.filters for c in g.upconvs] == [m * DIM for m in channels] + [1]
    assert all(c.padding == "same" and c.activation is keras.activations.linear for c in g.upconvs)
    # Batch norm after the dense projection and every transposed conv but the last (reference §3.2).
    assert g.z_project_bn is not None
    assert [bn is not None for bn in g.upconv_bns] == [True] * (len(strides) - 1) + [False]
    for bn in [g.z_project_bn] + [b for b in g.upconv_bns if b is not None]:
        assert (bn.momentum, bn.epsilon, bn.center, bn.scale, bn.axis) == (0.99, 1e-3, True, True, -1)
    plain = WaveGANGenerator(slice_len=slice_len, dim=DIM)
    assert plain.z_project_bn is None and all(bn is None for bn in plain.upconv_bns)


@pytest.mark.parametrize("batchnorm", [True, False])
def test_generator_equals_the_spec_layer_by_layer(batchnorm):
    """dense → reshape → [BN] → ReLU → (transposed conv k25 s4, TF "same" alignment → [BN] → ReLU)×4 →
    transposed conv → tanh, batch norm on batch statistics in training mode."""
    g = built_generator(batchnorm)
    z = latents()
    out = ops.convert_to_numpy(g(z, training=True))
    np.testing.assert_allclose(out, ref.wavegan_generator(g, z.astype(np.float64)), rtol=2e-4, atol=2e-6)
    assert out.shape == (3, 16384, 1)


def test_generator_inference_mode_uses_moving_statistics_with_momentum_099():
    g = built_generator(True)
    z = latents()
    bn = g.z_project_bn
    pre = (z @ ops.convert_to_numpy(g.z_project.kernel) + ops.convert_to_numpy(g.z_project.bias)).reshape(3, 16, -1)
    g(z, training=True)  # one update of the moving averages: 0.99 · initial + 0.01 · batch statistics
    np.testing.assert_allclose(ops.convert_to_numpy(bn.moving_mean), 0.01 * pre.mean(axis=(0, 1)), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(ops.convert_to_numpy(bn.moving_variance), 0.99 + 0.01 * pre.var(axis=(0, 1)),
                               rtol=1e-4)
    assert not np.allclose(ops.convert_to_numpy(g(z, training=False)), ops.convert_to_numpy(g(z, training=True)))


def test_generator_transposed_convs_keep_tensorflow_alignment():
    """Each upconv_i as built: of the full transposed output (length 4L+21) "same" keeps indices 10 … 4L+9."""
    g = built_generator(False)
    rng = np.random.default_rng(3)
    shape = (1, 16, 16 * DIM)
    for conv in g.upconvs:
        x = rng.normal(size=shape).astype(np.float32)
        kernel, bias = ops.convert_to_numpy(conv.kernel), ops.convert_to_numpy(conv.bias)
        length = shape[1]
        full = np.zeros((4 * (length - 1) + 25, kernel.shape[1]))
        for t in range(length):
            full[4 * t:4 * t + 25] += np.einsum("i,joi->jo", x[0, t], kernel)
        np.testing.assert_allclose(ops.convert_to_numpy(conv(x))[0], full[10:10 + 4 * length] + bias,
                                   rtol=1e-4, atol=1e-5)
        shape = (1, 4 * length, kernel.shape[1])


def test_nn_upsampling_repeats_then_convolves_with_stride_one():
    g = WaveGANGenerator(dim=DIM, upsample="nn")
    g.build((None, 100))
    conv0 = g.upconvs[0]
    up, conv = conv0.layers
    assert isinstance(up, keras.layers.UpSampling1D) and up.size == 4
    assert isinstance(conv, keras.layers.Conv1D) and conv.kernel_size == (25,) and conv.strides == (1,)
    x = np.random.default_rng(0).normal(size=(2, 16, 16 * DIM)).astype(np.float32)
    # Stride-1 "same" with k=25: 12 on each side.
    xp = np.pad(np.repeat(x, 4, axis=1), [(0, 0), (12, 12), (0, 0)])
    kernel = ops.convert_to_numpy(conv.kernel)
    expected = sum(xp[:, j:j + 64] @ kernel[j] for j in range(25)) + ops.convert_to_numpy(conv.bias)
    np.testing.assert_allclose(ops.convert_to_numpy(conv0(x)), expected, rtol=1e-4, atol=1e-5)


def test_post_processing_filter_is_a_512_tap_same_fir_without_bias_or_activation():
    """After the tanh: one conv, kernel 512, stride 1, "same" (255 left / 256 right), no bias, no activation."""
    g = built_generator(False, post_proc_filter=True)
    pp = g.pp_filt
    assert pp.kernel_size == (512,) and pp.strides == (1,) and not pp.use_bias
    assert tuple(pp.kernel.shape) == (512, 1, 1)
    z = latents()
    kernel = np.zeros((512, 1, 1), np.float32)
    kernel[0, 0, 0], kernel[300, 0, 0] = 40.0, -0.5
    pp.kernel.assign(kernel)
    out = ops.convert_to_numpy(g(z))[:, :, 0]
    pre = ref.wavegan_generator(g, z.astype(np.float64))[:, :, 0]
    padded = np.pad(pre, [(0, 0), (255, 256)])
    # out[t] = Σ_m kernel[m] · pre[t + m − 255]
    expected = 40.0 * padded[:, 0:16384] - 0.5 * padded[:, 300:300 + 16384]
    np.testing.assert_allclose(out, expected, rtol=2e-4, atol=2e-6)
    assert np.abs(out).max() > 1.0  # not bounded by ±1: the int16 export clips


def test_latents_and_output_range():
    """z ~ U(−1, 1)¹⁰⁰ (reference §3.1); G(z) in [−1, 1] through the tanh; int16 = x·32767 clipped, truncated."""
    from wavegan.train.trainer import AdversarialTrainer

    trainer = AdversarialTrainer(WaveGANGenerator(dim=DIM), WaveGANDiscriminator(dim=DIM), latent_dim=100, seed=0)
    z = ops.convert_to_numpy(trainer.sample_latents(20000))
    assert z.shape == (20000, 100) and z.min() >= -1.0 and z.max() <= 1.0
    assert z.min() < -0.999 and z.max() > 0.999
    assert abs(z.mean()) < 0.01 and abs(z.std() - np.sqrt(1 / 3)) < 0.005
    hist = np.histogram(z, bins=10, range=(-1, 1))[0] / z.size
    np.testing.assert_allclose(hist, 0.1, atol=0.005)  # flat, not bell-shaped
    g = built_generator(False)
    g.upconvs[-1].kernel.assign(g.upconvs[-1].kernel * 1000.0)  # drive the last layer into saturation
    out = ops.convert_to_numpy(g(latents(4)))
    assert np.abs(out).max() <= 1.0 and np.mean(np.abs(out) > 0.999) > 0.5
    quantised = ops.convert_to_numpy(quantize_int16(np.array([0.5, -0.5, 1.2, -1.2, 0.99999], np.float32)))
    np.testing.assert_array_equal(quantised, [16383, -16383, 32767, -32767, 32766])


# --- discriminator (reference §3.3) ----------------------------------------------------------------------

@pytest.mark.parametrize("slice_len,strides,channels,dense_in", [
    (16384, [4, 4, 4, 4, 4], [1, 2, 4, 8, 16], 256),
    (32768, [4, 4, 4, 4, 4, 2], [1, 2, 4, 8, 16, 32], 512),
    (65536, [4, 4, 4, 4, 4, 4], [1, 2, 4, 8, 16, 32], 512),
])
def test_discriminator_layers_as_built(slice_len, strides, channels, dense_in):
    d = WaveGANDiscriminator(slice_len=slice_len, dim=DIM, batchnorm=True, phaseshuffle_rad=2)
    d.build((None, slice_len, 1))
    assert all(isinstance(c, keras.layers.Conv1D) for c in d.downconvs) and len(d.downconvs) == len(strides)
    assert [c.strides[0] for c in d.downconvs] == strides
    assert [c.kernel_size[0] for c in d.downconvs] == [25] * len(strides)
    assert [c.filters for c in d.downconvs] == [m * DIM for m in channels]
    assert all(c.padding == "same" and c.activation is keras.activations.linear for c in d.downconvs)
    # No batch norm on block 0 (reference §3.3); phase shuffle (radius 2) after blocks 0–3 only.
    assert [bn is not None for bn in d.downconv_bns] == [False] + [True] * (len(strides) - 1)
    assert [ps.rad if ps is not None else None for ps in d.phase_shuffles] == [2, 2, 2, 2] + [None] * (len(strides) - 4)
    assert all(isinstance(ps, PhaseShuffle) for ps in d.phase_shuffles[:4])
    assert tuple(d.logit.kernel.shape) == (dense_in * DIM, 1)


@pytest.mark.parametrize("batchnorm", [True, False])
def test_discriminator_equals_the_spec_layer_by_layer(batchnorm):
    """Inference mode (no phase shuffle): conv k25 s4 (10 left / 11 right) → [BN, not block 0, batch
    statistics even outside training] → LeakyReLU 0.2 → … → row-major flatten → dense → [batch]."""
    d = built_discriminator(batchnorm)
    x = np.random.default_rng(5).uniform(-1, 1, (3, 16384, 1)).astype(np.float32)
    out = ops.convert_to_numpy(d(x, training=False))
    assert out.shape == (3,)
    np.testing.assert_allclose(out, ref.wavegan_discriminator(d, x), rtol=1e-4, atol=1e-5)


def test_discriminator_in_training_shuffles_after_each_of_the_first_four_blocks():
    """One φ per shuffle layer per call, drawn uniformly from {−2 … 2}, reflect padding (reference §3.4)."""
    d = built_discriminator(True)
    draws = record_phase_shuffles(d)
    x = np.random.default_rng(6).uniform(-1, 1, (3, 16384, 1)).astype(np.float32)
    seen = []
    for call in range(60):
        del draws[:]
        out = ops.convert_to_numpy(d(x, training=True))
        assert [i for i, _ in draws] == [0, 1, 2, 3]
        shifts = [phi for _, phi in draws]
        np.testing.assert_allclose(out, ref.wavegan_discriminator(d, x, shifts), rtol=1e-4, atol=1e-5)
        seen.extend(shifts)
    assert set(seen) == {-2, -1, 0, 1, 2}
    counts = np.bincount(np.array(seen) + 2, minlength=5)
    assert counts.min() > 240 / 5 * 0.5
    del draws[:]
    d(x, training=False)
    assert draws == []  # inactive outside training


def test_phase_shuffle_layer_rule():
    """[1..7] with φ = 3 → [4,3,2,1,2,3,4] (issue #30); one φ for the whole batch and every channel."""
    layer = PhaseShuffle(2)
    seq = np.arange(1, 8, dtype=np.float32).reshape(1, 7, 1)
    np.testing.assert_array_equal(ops.convert_to_numpy(PhaseShuffle(3).shift(seq, 3))[0, :, 0], [4, 3, 2, 1, 2, 3, 4])
    np.testing.assert_array_equal(ops.convert_to_numpy(PhaseShuffle(3).shift(seq, -3))[0, :, 0], [4, 5, 6, 7, 6, 5, 4])
    x = np.random.default_rng(0).normal(size=(5, 40, 3)).astype(np.float32)
    refs = {phi: ref.phase_shuffle(x, phi) for phi in range(-2, 3)}
    for _ in range(30):
        out = ops.convert_to_numpy(layer(x, training=True))
        assert sum(np.allclose(out, r) for r in refs.values()) == 1  # the whole batch moved by one φ
