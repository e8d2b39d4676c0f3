"""Pins of reference §4 (SpecGAN: transform constants, Griffin-Lim, models), §6 (the loader) and §9 (the
Inception score, the classifier and its features), against literals and NumPy written from docs/reference.md."""

import os
import random

import keras
import numpy as np
import pytest
import soundfile
import tensorflow as tf
from keras import ops

from tests import audio_fixtures as fx
from tests.paper import reference as ref
from wavegan.audio import pipeline as data
from wavegan.config import DataConfig

S = 16384


# --- loader (reference §6) -------------------------------------------------------------------------------

def test_random_offset_is_uniform_over_the_first_slice():
    """Default (not first_slice): drop s ~ U{0 … slice_len − 1} samples, then frame with hop = slice_len."""
    config = DataConfig(normalize=False).resolved()
    signal = tf.constant(fx.ramp(3 * S, wrap=False))
    starts = []
    for seed in range(300):
        out = data.slice_audio(signal, config, seed=seed).numpy()
        first = np.round(out[:, 0, 0] * 32768).astype(int)
        np.testing.assert_array_equal(np.diff(first), 16384)  # hop = slice_len with overlap 0
        starts.append(first[0])
    starts = np.array(starts)
    assert starts.min() >= 0 and starts.max() <= 16383
    assert starts.min() < 0.05 * S and starts.max() > 0.95 * S
    np.testing.assert_allclose(np.histogram(starts, bins=4, range=(0, S))[0] / len(starts), 0.25, atol=0.1)


@pytest.mark.parametrize("overlap,hop", [(0.0, 16384), (0.5, 8192), (0.75, 4096), (0.3, 11469)])
def test_hop_is_round_of_slice_len_times_one_minus_overlap(overlap, hop):
    assert DataConfig(overlap_ratio=overlap).resolved().hop == hop


def test_first_slice_keeps_frame_zero_zero_padded_without_offset():
    config = DataConfig(first_slice=True, overlap_ratio=0.5, normalize=False).resolved()
    short = fx.ramp(1000, wrap=False)
    (only,) = data.slice_audio(tf.constant(short), config).numpy()
    np.testing.assert_array_equal(only[:1000], short)
    assert only.shape == (16384, 1) and np.all(only[1000:] == 0)
    long = fx.ramp(3 * S, wrap=False)
    out = data.slice_audio(tf.constant(long), config).numpy()
    assert out.shape == (1, S, 1)
    np.testing.assert_array_equal(out[0], long[:S])


def test_normalisation_divides_each_file_by_its_own_peak_before_slicing(tmp_path):
    """A file whose peak (0.8) lies after its first slice: the first slice is file / 0.8, not slice / its peak."""
    audio = np.full((2 * S, 1), 0.2, np.float32)
    audio[S + 100] = 0.8
    audio[::2] *= -1
    fx.write(os.path.join(tmp_path, "a.wav"), audio, 16000, "WAV", "FLOAT")
    config = DataConfig(data_dir=str(tmp_path), first_slice=True).resolved()
    assert config.normalize  # on by default: the original always normalised (reference §6.4)
    files = data.prepare_files(config, 1)
    (first,) = data.example_dataset(files, config, shuffle=False, repeat=False).as_numpy_iterator()
    np.testing.assert_allclose(first, audio[:S] / 0.8, rtol=1e-6)


def test_channels_mix_down_by_mean_and_duplicate_mono(tmp_path):
    left = np.linspace(-0.5, 0.5, 2000, dtype=np.float32)
    stereo = np.stack([left, 0.25 * np.ones_like(left)], axis=1)
    fx.write(os.path.join(tmp_path, "s", "a.wav"), stereo, 16000, "WAV", "FLOAT")
    fx.write(os.path.join(tmp_path, "m", "a.wav"), left[:, None], 16000, "WAV", "FLOAT")
    mono = DataConfig(data_dir=str(tmp_path / "s"), first_slice=True, normalize=False).resolved()
    (x,) = data.example_dataset(data.prepare_files(mono, 1), mono, shuffle=False, repeat=False).as_numpy_iterator()
    np.testing.assert_allclose(x[:2000, 0], (left + 0.25) / 2, rtol=1e-6)
    two = DataConfig(data_dir=str(tmp_path / "m"), first_slice=True, normalize=False, num_channels=2).resolved()
    (y,) = data.example_dataset(data.prepare_files(two, 1), two, shuffle=False, repeat=False).as_numpy_iterator()
    np.testing.assert_allclose(y[:2000], np.stack([left, left], axis=1), rtol=1e-6)


def test_each_critic_update_gets_its_own_real_slices(tmp_path):
    """[batch, 5, slice_len, ch]: 5 × batch different slices per iteration (reference §5: 5 real batches per G step)."""
    for i in range(200):  # distinct lengths name the files
        fx.write(os.path.join(tmp_path, f"c{i:03d}.wav"), fx.ramp(100 + 50 * i), 16000)
    config = DataConfig(data_dir=str(tmp_path), first_slice=True, normalize=False).resolved()
    batch = next(iter(data.make_train_dataset(data.prepare_files(config, 2), config, 2, 5))).numpy()
    assert batch.shape == (2, 5, S, 1)
    lengths = [[int(np.count_nonzero(batch[b, i, 1:, 0])) + 1 for b in range(2)] for i in range(5)]
    assert len({tuple(pair) for pair in lengths}) == 5  # no critic update reuses another's batch
    assert len({n for pair in lengths for n in pair}) >= 8


# --- SpecGAN (reference §4) ------------------------------------------------------------------------------

def periodic_hann(n):
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)


def np_stft(x, pad_end):
    """frame 256, hop 128, FFT 256, periodic Hann."""
    if pad_end:
        x = np.concatenate([x, np.zeros(128)])
    frames = np.stack([x[i * 128:i * 128 + 256] for i in range((len(x) - 256) // 128 + 1)])
    return np.fft.rfft(frames * periodic_hann(256), axis=1)


def np_istft(spec):
    """tf.signal.inverse_stft with its default window (periodic Hann), no window-sum normalisation."""
    frames = np.fft.irfft(spec, 256, axis=1) * periodic_hann(256)
    out = np.zeros((len(spec) - 1) * 128 + 256)
    for i, frame in enumerate(frames):
        out[i * 128:i * 128 + 256] += frame
    return out


def moments(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(-3.0, 1.0, 129).astype(np.float32), rng.uniform(0.5, 2.0, 129).astype(np.float32)


def test_specgan_transform_constants():
    """t_to_f: STFT 256/128 periodic Hann end-padded → 128 × 129 → drop Nyquist → ln(|X| + 1e-6) →
    (L − mean[:128]) / std[:128] / 3 → clip [−1, 1] → [128, 128, 1]."""
    from specgan import transforms as T

    mean, std = moments()
    x = np.random.default_rng(1).normal(0, 0.1, (2, S)).astype(np.float32)
    x[1, 8000:] = 0  # silence: the 1e-6 floor shows
    out = T.audio_to_spectrogram(x[..., None], mean, std).numpy()
    assert out.shape == (2, 128, 128, 1)
    for b in range(2):
        spec = np_stft(x[b].astype(np.float64), pad_end=True)
        assert spec.shape == (128, 129)
        expected = np.clip((np.log(np.abs(spec[:, :128]) + 1e-6) - mean[:128]) / std[:128] / 3.0, -1, 1)
        np.testing.assert_allclose(out[b, :, :, 0], expected, atol=2e-4)


def test_griffin_lim_is_the_originals():
    """f_to_t: append a zero Nyquist column, × 3 × std + mean, exp; start from zero phase; each iteration
    inverse STFT → STFT (no end padding) → unit phase (÷ max(|X|, 1e-8)) → target magnitude; a last inverse
    STFT of (128 − 1)·128 + 256 = 16512 samples cropped to 16384."""
    from specgan import transforms as T

    mean, std = moments(2)
    spec = np.random.default_rng(3).uniform(-1, 1, (1, 128, 128, 1)).astype(np.float32)
    for ngl in (0, 3):
        out = T.spectrogram_to_audio(spec, mean, std, ngl).numpy()
        magnitude = np.exp(np.concatenate([spec[0, :, :, 0], np.zeros((128, 1))], axis=1) * 3.0 * std + mean)
        estimate = magnitude.astype(np.complex128)
        for _ in range(ngl):
            rebuilt = np_stft(np_istft(estimate), pad_end=False)
            estimate = magnitude * rebuilt / np.maximum(np.abs(rebuilt), 1e-8)
        signal = np_istft(estimate)
        assert len(signal) == 16512 and out.shape == (1, 16384, 1)
        np.testing.assert_allclose(out[0, :, 0], signal[:16384], rtol=1e-3, atol=1e-4 * np.abs(signal).max())


def conv2d_same(x, kernel, bias, stride):
    """x [b, H, W, in], kernel [5, 5, in, out], TF "same" with stride 2 on even sizes: 1 before, 2 after."""
    b, h, w, _ = x.shape
    xp = np.pad(x, [(0, 0), (1, 2), (1, 2), (0, 0)])
    out = np.zeros((b, h // stride, w // stride, kernel.shape[3]))
    for i in range(5):
        for j in range(5):
            out += xp[:, i:i + stride * (h // stride):stride, j:j + stride * (w // stride):stride] @ kernel[i, j]
    return out + bias


def conv2d_transpose_same(x, kernel, bias):
    """kernel [5, 5, out, in], stride 2: of the full output (2L + 3) "same" keeps 2L from index 1."""
    b, h, w, _ = x.shape
    full = np.zeros((b, 2 * h + 3, 2 * w + 3, kernel.shape[2]))
    for i in range(5):
        for j in range(5):
            full[:, i:i + 2 * h:2, j:j + 2 * w:2] += x @ kernel[i, j].T
    return full[:, 1:1 + 2 * h, 1:1 + 2 * w] + bias


def test_specgan_models_equal_the_spec():
    """G: dense → [4, 4, 16d] → BN → ReLU → 4 × (5×5 stride-2 transposed conv → BN → ReLU) → 5×5 → tanh.
    D: 5 × (5×5 stride-2 conv → BN on blocks 1–4 → LeakyReLU 0.2) → flatten → dense; no phase shuffle."""
    from specgan.models import SpecGANDiscriminator, SpecGANGenerator

    keras.utils.set_random_seed(0)
    dim = 2
    g, d = SpecGANGenerator(dim=dim, batchnorm=True), SpecGANDiscriminator(dim=dim, batchnorm=True)
    g.build((None, 100))
    d.build((None, 128, 128, 1))
    rng = np.random.default_rng(0)
    for m in (g, d):
        ref.randomise_batch_norm(m, rng)
        ref.randomise_biases(m, rng)
    assert [c.filters for c in g.upconvs] == [8 * dim, 4 * dim, 2 * dim, dim, 1]
    assert all(c.kernel_size == (5, 5) and c.strides == (2, 2) for c in g.upconvs)
    assert [c.filters for c in d.downconvs] == [dim, 2 * dim, 4 * dim, 8 * dim, 16 * dim]
    assert all(c.kernel_size == (5, 5) and c.strides == (2, 2) for c in d.downconvs)
    assert all(ps is None for ps in d.phase_shuffles)

    def w(v):
        return np.asarray(v, np.float64)

    z = rng.uniform(-1, 1, (3, 100))
    h = (z @ w(g.z_project.kernel) + w(g.z_project.bias)).reshape(3, 4, 4, 16 * dim)
    h = ref.relu(ref.batch_norm_train(h, w(g.z_project_bn.gamma), w(g.z_project_bn.beta)))
    for i, conv in enumerate(g.upconvs):
        h = conv2d_transpose_same(h, w(conv.kernel), w(conv.bias))
        if i < 4:
            bn = g.upconv_bns[i]
            h = ref.relu(ref.batch_norm_train(h, w(bn.gamma), w(bn.beta)))
    expected = np.tanh(h)
    out = ops.convert_to_numpy(g(z.astype(np.float32), training=True))
    np.testing.assert_allclose(out, expected, rtol=2e-4, atol=2e-6)

    h = out.astype(np.float64)
    for i, conv in enumerate(d.downconvs):
        h = conv2d_same(h, w(conv.kernel), w(conv.bias), 2)
        if i > 0:
            bn = d.downconv_bns[i]
            h = ref.batch_norm_train(h, w(bn.gamma), w(bn.beta))
        h = ref.lrelu(h)
    assert h.shape == (3, 4, 4, 16 * dim)
    logits = h.reshape(3, -1) @ w(d.logit.kernel) + w(d.logit.bias)
    np.testing.assert_allclose(ops.convert_to_numpy(d(out, training=True)), logits[:, 0], rtol=1e-4, atol=1e-5)


def test_specgan_defaults():
    from specgan.config import SpecGANConfig

    cfg = SpecGANConfig()
    assert (cfg.latent_dim, cfg.kernel_len, cfg.dim, cfg.batchnorm, cfg.disc_nupdates, cfg.loss, cfg.genr_upsample,
            cfg.ngl) == (100, 5, 64, False, 5, "wgan-gp", "zeros", 16)


# --- evaluation (reference §9) ---------------------------------------------------------------------------

def test_inception_score_formula():
    """exp(mean over a contiguous group of Σ p(c|x)(ln p(c|x) − ln p̄(c))), p̄ the group mean; mean and
    population std over k groups."""
    from wavegan import metrics

    probs = np.random.default_rng(0).dirichlet(np.full(10, 0.3), size=120)
    groups = [probs[i * 12:(i + 1) * 12] for i in range(10)]
    scores = [np.exp(np.mean(np.sum(p * (np.log(p) - np.log(p.mean(axis=0))), axis=1))) for p in groups]
    mean, std = metrics.inception_score(probs, k=10)
    assert mean == pytest.approx(np.mean(scores), rel=1e-9)
    assert std == pytest.approx(np.std(scores, ddof=0), rel=1e-9)


def test_files_are_chosen_as_the_original_sorted_then_shuffled_with_seed_0(tmp_path):
    from eval.score import sample_files

    names = [f"{i:03d}.wav" for i in range(30)]
    for name in reversed(names):
        fx.write(os.path.join(tmp_path, name), np.zeros((10, 1), np.float32), 16000)
    expected = sorted(os.path.join(tmp_path, n) for n in names)
    random.seed(0)
    random.shuffle(expected)
    assert sample_files(str(tmp_path), 7) == expected[:7]


def test_classifier_layout_has_the_originals_five_batch_norms():
    """BN on the log-mel input → conv 5×5 ReLU → pool; 3 × (BN → conv → pool); flatten → BN → dense (reference §9.2)."""
    from wavegan.evaluation.classifier import DigitClassifier

    model = DigitClassifier()
    model(np.zeros((1, S), np.float32))
    sequence = [type(model.input_bn).__name__]
    for block in model.blocks:
        sequence += [type(layer).__name__ for layer in block.layers]
    sequence += [type(model.flatten).__name__, type(model.embed_bn).__name__, type(model.logits).__name__]
    assert sequence == ["BatchNormalization", "Conv2D", "MaxPooling2D"] + \
        ["BatchNormalization", "Conv2D", "MaxPooling2D"] * 3 + ["Flatten", "BatchNormalization", "Dense"]
    bns = [layer for layer in model._flatten_layers() if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(bns) == 5
    convs = [layer for block in model.blocks for layer in block.layers if isinstance(layer, keras.layers.Conv2D)]
    assert all(c.filters == 128 and c.kernel_size == (5, 5) and c.padding == "same" for c in convs)
    assert all(c.activation is keras.activations.relu for c in convs)
    pools = [layer for block in model.blocks for layer in block.layers if isinstance(layer, keras.layers.MaxPooling2D)]
    assert all(p.pool_size == (2, 2) and p.strides == (2, 2) for p in pools)
    assert tuple(model.input_bn.gamma.shape) == (128,)  # over mel bins
    assert tuple(model.logits.kernel.shape) == (8 * 8 * 128, 10)


def test_classifier_features_are_the_originals_log_mel():
    """STFT 1024 / 128, periodic Hann, end-padded → |X| → 128 mel bands 40–7800 Hz (TF's matrix) → ln(· + 1e-6)."""
    from wavegan.audio.features import mel_matrix
    from wavegan.evaluation.classifier import LogMel

    tf_matrix = tf.signal.linear_to_mel_weight_matrix(128, 513, 16000, 40.0, 7800.0).numpy()
    np.testing.assert_allclose(mel_matrix(), tf_matrix, atol=1e-4)
    x = np.random.default_rng(0).normal(0, 0.1, (2, S)).astype(np.float32)
    stft = tf.signal.stft(x, 1024, 128, pad_end=True)
    expected = np.log(np.abs(stft.numpy()) @ tf_matrix + 1e-6)
    assert expected.shape == (2, 128, 128)
    np.testing.assert_allclose(ops.convert_to_numpy(LogMel()(x)), expected, atol=2e-3)
