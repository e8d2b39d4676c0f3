import ast
import os

import keras
import numpy as np
import pytest
from keras import ops

from wavegan.models import WaveGANDiscriminator, WaveGANGenerator

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


def test_discriminator_shuffles_after_the_first_four_blocks_only():
    d = WaveGANDiscriminator(dim=2, phaseshuffle_rad=2)
    assert [ps is not None for ps in d.phase_shuffles] == [True, True, True, True, False]
    assert all(ps is None for ps in WaveGANDiscriminator(dim=2, phaseshuffle_rad=0).phase_shuffles)
    x = np.random.default_rng(0).normal(size=(3, 16384, 1)).astype(np.float32)
    # Inference is deterministic; training draws shifts.
    np.testing.assert_allclose(ops.convert_to_numpy(d(x)), ops.convert_to_numpy(d(x)))
    assert not np.allclose(ops.convert_to_numpy(d(x, training=True)), ops.convert_to_numpy(d(x, training=True)))


@pytest.mark.parametrize("cls,kwargs,input_shape", [
    (WaveGANGenerator, dict(dim=2, upsample="nn", batchnorm=True, post_proc_filter=True, post_proc_len=16),
     (3, 100)),
    (WaveGANDiscriminator, dict(dim=2, batchnorm=True, phaseshuffle_rad=1), (3, 16384, 1)),
])
def test_config_and_keras_saving_round_trip(tmp_path, cls, kwargs, input_shape):
    model = cls(**kwargs)
    x = np.random.default_rng(0).uniform(-1, 1, input_shape).astype(np.float32)
    expected = ops.convert_to_numpy(model(x))
    clone = cls.from_config(model.get_config())
    clone.build(input_shape)
    assert clone.count_params() == model.count_params()
    assert {k: v for k, v in clone.get_config().items() if k != "name"} == \
           {k: v for k, v in model.get_config().items() if k != "name"}
    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_allclose(ops.convert_to_numpy(restored(x)), expected, rtol=1e-5, atol=1e-6)


def test_layers_and_models_use_keras_ops_only():
    """DEVELOPERS.md: no TensorFlow inside layers, models or losses, so every Keras backend runs them."""
    repo = os.path.dirname(os.path.dirname(__file__))
    paths = [os.path.join(repo, "wavegan", "train", "losses.py"), os.path.join(repo, "specgan", "models.py")]
    for package in ("layers", "models"):
        folder = os.path.join(repo, "wavegan", package)
        # kernels_tf.py is the TensorFlow backend's own kernel, loaded only on that backend
        paths += [os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".py") and f != "kernels_tf.py"]
    assert len(paths) >= 11
    for name in paths:
        tree = ast.parse(open(name).read())
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module}
        assert "tensorflow" not in imported, name


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
