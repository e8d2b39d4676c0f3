"""wavegan.models.generator: WaveGAN's generator, and the layer plan it shares with the critic (parameter
counts, shapes and conditioning of the pair), its inference forms, the harness."""

import keras
import numpy as np
import pytest
from keras import ops

from tests.harness import run_layer_test
from tests.model_fixtures import Z, tiny_pair
from wavegan.layers import LABEL_EMBED_DIM
from wavegan.models import WaveGANDiscriminator, WaveGANGenerator
from wavegan.train import checkpoints

# reference §3.2 (no batch norm, no post-processing filter).
PARAM_COUNTS = {
    (16384, 64): (19_065_345, 17_427_969),
    (16384, 32): (5_180_673, 4_361_985),
    (32768, 64): (73_149_953, 69_875_201),
    (65536, 64): (73_149_953, 69_875_201),
    (32768, 32): (19_115_777, 17_478_401),
    (65536, 32): (19_115_777, 17_478_401),
}


@pytest.mark.parametrize("upsample", ["zeros", "nn"])
@pytest.mark.parametrize("slice_len,dim", sorted(PARAM_COUNTS))
def test_parameter_counts_equal_spec(slice_len, dim, upsample):
    g = WaveGANGenerator(slice_len=slice_len, dim=dim, upsample=upsample)
    g.build((None, 100))
    d = WaveGANDiscriminator(slice_len=slice_len, dim=dim)
    d.build((None, slice_len, 1))
    assert (g.count_params(), d.count_params()) == PARAM_COUNTS[(slice_len, dim)]


def test_generator_layer_breakdown_at_paper_size():
    g = WaveGANGenerator()
    g.build((None, 100))
    sizes = [g.z_project.count_params()] + [conv.count_params() for conv in g.upconvs]
    assert sizes == [1_654_784, 13_107_712, 3_277_056, 819_328, 204_864, 1_601]


def test_optional_layers_add_the_expected_parameters():
    plain = WaveGANGenerator(dim=4)
    plain.build((None, 100))
    pp = WaveGANGenerator(dim=4, post_proc_filter=True, post_proc_len=512)
    pp.build((None, 100))
    assert pp.count_params() - plain.count_params() == 512  # [512, 1, 1], no bias
    bn = WaveGANGenerator(dim=4, batchnorm=True)
    bn.build((None, 100))
    # 5 BN layers (z_project + 4 upconvs) with gamma, beta, mean, variance on 64, 32, 16, 8, 4 channels.
    assert bn.count_params() - plain.count_params() == 4 * (64 + 32 + 16 + 8 + 4)


@pytest.mark.parametrize("slice_len", [16384, 32768, 65536])
@pytest.mark.parametrize("channels", [1, 2])
def test_shapes_through_g_and_d(slice_len, channels):
    g = WaveGANGenerator(slice_len=slice_len, num_channels=channels, dim=2, batchnorm=True, post_proc_filter=True)
    d = WaveGANDiscriminator(slice_len=slice_len, num_channels=channels, dim=2, batchnorm=True)
    z = np.random.uniform(-1, 1, (2, 100)).astype(np.float32)
    audio = g(z, training=True)
    assert tuple(audio.shape) == (2, slice_len, channels)
    assert tuple(d(audio, training=True).shape) == (2,)


def test_generator_output_is_bounded_by_tanh_without_pp():
    g = WaveGANGenerator(dim=4)
    out = ops.convert_to_numpy(g(np.random.uniform(-1, 1, (4, 100)).astype(np.float32) * 50))
    assert np.all(np.abs(out) <= 1.0) and np.std(out) > 0


def test_transposed_conv_keeps_tensorflow_same_alignment():
    """k=25, s=4: of the full transposed output (length 4L+21) "same" keeps indices 10 … 4L+9 (reference §3.2)."""
    rng = np.random.default_rng(0)
    length, k, s = 6, 25, 4
    x = rng.normal(size=(1, length, 1)).astype(np.float32)
    kernel = rng.normal(size=(k, 1, 1)).astype(np.float32)
    layer = keras.layers.Conv1DTranspose(1, k, strides=s, padding="same", use_bias=False)
    layer.build((None, length, 1))
    layer.kernel.assign(kernel)
    full = np.zeros(s * (length - 1) + k)
    for i in range(length):
        full[i * s:i * s + k] += x[0, i, 0] * kernel[:, 0, 0]
    np.testing.assert_allclose(ops.convert_to_numpy(layer(x))[0, :, 0], full[10:10 + s * length], rtol=1e-5)


@pytest.mark.parametrize("kwargs", [dict(dim=8), dict(dim=4, batchnorm=True, post_proc_filter=True, post_proc_len=16),
                                    dict(dim=4, slice_len=32768), dict(dim=4, upsample="nn")])
def test_inference_upconvs_give_the_generator_output_up_to_float_rounding(kwargs):
    g = WaveGANGenerator(**kwargs)
    z = np.random.default_rng(0).uniform(-1, 1, (3, 100)).astype(np.float32)
    expected = ops.convert_to_numpy(g(z))
    forms = g.inference_upconvs()
    swapped = [new is not old for new, old in zip(forms, g.upconvs)]
    if kwargs.get("upsample") == "nn":
        assert not any(swapped)
    else:  # the short first layer and the one-channel last layer
        assert swapped == [True] + [False] * (len(forms) - 2) + [True]
    np.testing.assert_allclose(ops.convert_to_numpy(g(z, upconvs=forms)), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kwargs", [dict(dim=8), dict(dim=4, batchnorm=True, post_proc_filter=True, post_proc_len=16),
                                    dict(dim=4, upsample="nn")])
def test_bfloat16_inference_upconvs_stay_within_bfloat16_rounding_of_the_generator(kwargs):
    """The opt-in bf16 export: the upsampling layers compute in bfloat16 (weights rounded to its 8-bit
    significand), everything else and the output stay float32. Tolerance: 30 dB signal-to-error (the
    d=64 export measures 42–46 dB, docs/benchmarks.md) and 5% of the peak for any single sample."""
    g = WaveGANGenerator(**kwargs)
    z = np.random.default_rng(0).uniform(-1, 1, (3, 100)).astype(np.float32)
    expected = ops.convert_to_numpy(g(z))
    forms = g.inference_upconvs("bfloat16")
    assert {w.dtype for form in forms for w in form.weights} == {"bfloat16"}
    assert {w.dtype for conv in g.upconvs for w in conv.weights} == {"float32"}  # the trained layers are left alone
    out = ops.convert_to_numpy(g(z, upconvs=forms))
    assert out.dtype == np.float32
    error = out - expected
    assert 10 * np.log10(np.sum(expected ** 2) / np.sum(error ** 2)) > 30
    assert np.abs(error).max() < 0.05 * np.abs(expected).max()
    assert np.any(error)  # it did compute in bfloat16


# Recorded with main at 4bfc563 (before conditioning existed): the variable paths of a dim-4 WaveGAN (the
# train step recorded then: tests/train/test_step_tf.py).
UNCONDITIONAL_PATHS = (
    ["G/upconv_0/bias", "G/upconv_0/kernel", "G/upconv_1/bias", "G/upconv_1/kernel", "G/upconv_2/bias",
     "G/upconv_2/kernel", "G/upconv_3/bias", "G/upconv_3/kernel", "G/upconv_4/bias", "G/upconv_4/kernel",
     "G/z_project/bias", "G/z_project/kernel"],
    ["D/downconv_0/bias", "D/downconv_0/kernel", "D/downconv_1/bias", "D/downconv_1/kernel", "D/downconv_2/bias",
     "D/downconv_2/kernel", "D/downconv_3/bias", "D/downconv_3/kernel", "D/downconv_4/bias", "D/downconv_4/kernel",
     "D/output/bias", "D/output/kernel"])


def test_labels_off_keeps_the_checkpoint_keys():
    g, d = tiny_pair()
    assert (sorted(checkpoints.variables_by_path(g)), sorted(checkpoints.variables_by_path(d))) == UNCONDITIONAL_PATHS


def test_a_conditional_model_without_its_class_pathway_is_the_unconditional_model():
    """Same weights everywhere else, the class pathway zeroed: identical outputs for every label."""
    g_u, d_u = tiny_pair(phaseshuffle_rad=0)
    g_c, d_c = tiny_pair(3, phaseshuffle_rad=0)
    for source, target in ((g_u, g_c), (d_u, d_c)):
        own = checkpoints.variables_by_path(source)
        for path, var in checkpoints.variables_by_path(target).items():
            if path == "G/z_project/kernel":  # rows 0..99 read z, the rest the class embedding
                var.assign(np.concatenate([own[path].numpy(), np.zeros((LABEL_EMBED_DIM, 1024), np.float32)]))
            elif path in own:
                var.assign(own[path].numpy())
            else:
                assert path in ("G/label_embedding/embeddings", "D/projection/embeddings")
    d_c.projection.embeddings.assign(np.zeros_like(d_c.projection.embeddings.numpy()))
    audio = g_u(Z).numpy()
    logits = d_u(audio).numpy()
    for label in range(3):
        y = np.full(3, label)
        np.testing.assert_array_equal(g_c(Z, labels=y).numpy(), audio)
        np.testing.assert_array_equal(d_c(audio, labels=y).numpy(), logits)


@pytest.mark.parametrize("classes", [2, 10])
def test_conditional_shapes_and_parameter_counts(classes):
    g_u, d_u = tiny_pair()
    g_c, d_c = tiny_pair(classes)
    dense_units = 16 * 16 * 4  # reference §3.2: z_project → [16, 16·d]; D's last layer: 16 steps × 16·d channels
    # G: a [classes, 50] table and 50 more input rows of z_project; D: one [classes, 16·16·d] table.
    assert g_c.count_params() - g_u.count_params() == classes * LABEL_EMBED_DIM + LABEL_EMBED_DIM * dense_units
    assert d_c.count_params() - d_u.count_params() == classes * dense_units
    y = np.arange(3) % classes
    audio = g_c(Z, labels=y, training=True)
    assert tuple(audio.shape) == (3, 16384, 1)
    assert tuple(d_c(audio, labels=y, training=True).shape) == (3,)


@pytest.mark.parametrize("kwargs,labels", [
    (dict(dim=2, upsample="nn", batchnorm=True, post_proc_filter=True, post_proc_len=16), None),
    (dict(dim=2, num_classes=3), np.array([0, 2, 1])),
])
def test_wavegan_generator_in_the_harness(kwargs, labels):
    run_layer_test(WaveGANGenerator, kwargs, input_shape=(3, 100),
                   call_kwargs={} if labels is None else {"labels": labels}, expected_output_shape=(3, 16384, 1))
