"""wavegan.layers.conv: the strided convolutions' training forms and the transposed convolution's inference
forms, each against the direct convolution and a NumPy one."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from tests.harness import run_layer_test
from wavegan.layers import conv
from wavegan.layers import (PolyphaseConv1DTranspose, StridedConv1D, StridedConv1DTranspose, inference_form,
                            polyphase_rows, with_dtype)
from wavegan.models import WaveGANDiscriminator, WaveGANGenerator


def reference_transposed_conv_same(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, stride: int) -> np.ndarray:
    """Scatter every input sample's kernel into the full output, keep TensorFlow's "same" window."""
    batch, length, _ = x.shape
    taps, filters, _ = kernel.shape
    full = np.zeros((batch, stride * length + taps, filters))  # room for "same" when taps < stride
    for i in range(length):
        full[:, i * stride:i * stride + taps] += np.einsum("bc,kfc->bkf", x[:, i], kernel)
    start = max(taps - stride, 0) // 2
    return full[:, start:start + stride * length] + bias


@pytest.mark.parametrize("mode", ["matmul", "phases", "conv", "col2im"])
@pytest.mark.parametrize("length,channels,filters,taps,stride", [
    (16, 8, 4, 25, 4), (7, 3, 1, 25, 4), (9, 2, 3, 24, 4), (5, 4, 2, 25, 2), (6, 2, 2, 3, 4), (8, 2, 2, 5, 1)])
def test_polyphase_transposed_conv_equals_the_layer(mode, length, channels, filters, taps, stride):
    rng = np.random.default_rng(0)
    layer = keras.layers.Conv1DTranspose(filters, taps, strides=stride, padding="same")
    layer.build((None, length, channels))
    layer.kernel.assign(rng.normal(size=layer.kernel.shape).astype(np.float32))
    layer.bias.assign(rng.normal(size=(filters,)).astype(np.float32))
    x = rng.normal(size=(3, length, channels)).astype(np.float32)
    fast = PolyphaseConv1DTranspose.from_layer(layer, mode)
    expected = ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(expected, reference_transposed_conv_same(x, ops.convert_to_numpy(layer.kernel),
                                                                        ops.convert_to_numpy(layer.bias), stride),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ops.convert_to_numpy(fast(x)), expected, rtol=1e-5, atol=1e-5)
    assert fast.compute_output_shape(x.shape) == expected.shape


@pytest.mark.parametrize("switch_rows", [3 * 16 - 1, 3 * 16])  # the trained kernel's path, the phases'
def test_polyphase_layer_switching_to_the_trained_kernel_above_a_size_equals_the_layer(switch_rows):
    rng = np.random.default_rng(1)
    layer = keras.layers.Conv1DTranspose(4, 25, strides=4, padding="same")
    layer.build((None, 16, 8))
    layer.kernel.assign(rng.normal(size=layer.kernel.shape).astype(np.float32))
    layer.bias.assign(rng.normal(size=(4,)).astype(np.float32))
    x = rng.normal(size=(3, 16, 8)).astype(np.float32)
    fast = PolyphaseConv1DTranspose.from_layer(layer, "phases", switch_rows=switch_rows)
    expected = ops.convert_to_numpy(layer(x))
    for run in (fast, tf.function(fast)):  # a static batch, and the export's unknown one
        np.testing.assert_allclose(ops.convert_to_numpy(run(x)), expected, rtol=1e-5, atol=1e-5)
    traced = tf.function(fast, input_signature=[tf.TensorSpec([None, 16, 8], tf.float32)])
    np.testing.assert_allclose(traced(x).numpy(), expected, rtol=1e-5, atol=1e-5)
    # The harness's copy from the config, with the same weights, its config round trip and its saved and
    # reloaded form all compute the layer.
    config = {k: v for k, v in fast.get_config().items() if k != "dtype"}
    run_layer_test(PolyphaseConv1DTranspose, config, input_data=x, weights=fast.get_weights(), expected_output=expected,
                   expected_output_shape=(3, 64, 4), atol=1e-5, rtol=1e-5)


def test_inference_form_picks_the_polyphase_layer_only_where_it_pays():
    def built(filters, stride=4, channels=8, steps=16, **kwargs):
        layer = keras.layers.Conv1DTranspose(filters, 25, strides=stride, **{"padding": "same", **kwargs})
        layer.build((None, steps, channels))
        return layer

    def form(layer, steps):
        fast = inference_form(layer, steps)
        return "layer" if fast is layer else (fast.mode, fast.switch_rows)

    # d = 64's layers: a big first kernel per phase, the second per phase up to 256 input samples,
    # then TensorFlow's kernel, and the one-channel last layer as col2im.
    assert form(built(512, channels=1024), 16) == ("phases", None)
    assert form(built(256, channels=512, steps=64), 64) == ("phases", 256)
    assert form(built(128, channels=256, steps=256), 256) == "layer"
    assert form(built(1, channels=64, steps=4096), 4096) == ("col2im", None)
    # Smaller generators: one matmul, TensorFlow's kernel, a stride-1 convolution.
    assert form(built(8), 16) == ("matmul", None)
    assert form(built(8), 64) == "layer"
    assert form(built(1), 4096) == ("conv", None)
    assert form(built(2), 4096) == ("conv", None)  # stereo output
    # In bfloat16 the last layer's partial sums are not rounded one by one.
    assert form(with_dtype(built(1, channels=64), "bfloat16"), 4096) == ("conv", None)
    wide = built(8)
    assert inference_form(wide, steps=1024) is wide
    for other in (built(8, activation="relu"), built(8, padding="valid"), keras.layers.Conv1D(8, 25)):
        assert inference_form(other, steps=16) is other


# --- training forms of the strided convolutions ----------------------------------------------------

def reference_conv_same(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, stride: int) -> np.ndarray:
    """TensorFlow's strided "same" convolution written out: ⌈L/s⌉ outputs, (total padding) // 2 on the left."""
    length, taps = x.shape[1], kernel.shape[0]
    steps = -(-length // stride)
    left = max((steps - 1) * stride + taps - length, 0) // 2
    padded = np.pad(x, [(0, 0), (left, stride * steps + taps), (0, 0)])
    return np.stack([np.einsum("bkc,kcf->bf", padded[:, t * stride:t * stride + taps], kernel)
                     for t in range(steps)], axis=1) + bias


def form_results(layer_class, form: str, x: np.ndarray, filters: int, taps: int, stride: int, weights=None):
    """Output, input gradient, and the gradient penalty's double backward to the kernel (the three things
    training asks of a discriminator layer) for `layer_class` computed in `form`."""
    layer = layer_class(filters, taps, strides=stride, padding="same", form=form)
    layer.build(x.shape)
    if weights is not None:
        layer.set_weights(weights)
    x = tf.constant(x)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = layer(x)
            # Not a plain sum: a cotangent that varies over the output, as the layers above give.
            score = tf.reduce_sum(tf.sin(y))
        input_gradient = inner.gradient(score, x)
        penalty = tf.reduce_sum(tf.square(input_gradient))
    kernel_gradient = outer.gradient(penalty, layer.kernel)
    return layer, [y.numpy(), input_gradient.numpy(), kernel_gradient.numpy()]


FORM_CASES = [(StridedConv1D, form, shape) for form in ("space_to_depth", "matmul")
              for shape in [(64, 5, 7, 25, 4), (37, 3, 4, 25, 4), (30, 3, 2, 24, 4), (20, 2, 3, 5, 2), (9, 2, 2, 3, 4)]]
FORM_CASES += [(StridedConv1DTranspose, form, shape) for form in ("polyphase", "matmul")
               for shape in [(16, 5, 3, 25, 4), (7, 3, 1, 25, 4), (9, 3, 2, 24, 4), (5, 2, 3, 5, 2), (6, 2, 2, 3, 4)]]


@pytest.mark.parametrize("layer_class,form,shape", FORM_CASES,
                         ids=[f"{c.__name__}-{f}-{'x'.join(map(str, s))}" for c, f, s in FORM_CASES])
def test_training_forms_equal_the_direct_convolution(layer_class, form, shape):
    length, channels, filters, taps, stride = shape
    x = np.random.default_rng(0).normal(size=(3, length, channels)).astype(np.float32)
    direct, _ = form_results(layer_class, "direct", x, filters, taps, stride)
    weights = [np.random.default_rng(1).normal(size=w.shape).astype(np.float32) for w in direct.get_weights()]
    direct, expected = form_results(layer_class, "direct", x, filters, taps, stride, weights)
    reference = reference_conv_same if layer_class is StridedConv1D else reference_transposed_conv_same
    np.testing.assert_allclose(expected[0], reference(x, *weights, stride), rtol=1e-4, atol=1e-4)
    fast, results = form_results(layer_class, form, x, filters, taps, stride, weights)
    assert fast.computed_form == form
    for got, want in zip(results, expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


def graph_convolutions(layer, shape) -> list:
    """The strides of every convolution op in the traced graph of `layer` (and whether a MatMul ran)."""
    graph = tf.function(layer).get_concrete_function(tf.TensorSpec(shape, tf.float32)).graph
    convs = [list(op.get_attr("strides")) for op in graph.get_operations() if op.type.startswith("Conv2D")]
    return convs, any(op.type in ("MatMul", "BatchMatMulV2") for op in graph.get_operations())


def test_the_training_forms_really_replace_the_strided_kernels():
    def built(layer_class, form, shape):
        layer = layer_class(4, 25, strides=4, padding="same", form=form)
        layer.build(shape)
        return layer

    assert graph_convolutions(built(StridedConv1D, "direct", (2, 64, 3)), (2, 64, 3)) == ([[1, 1, 4, 1]], False)
    assert graph_convolutions(built(StridedConv1D, "space_to_depth", (2, 64, 3)), (2, 64, 3)) == ([[1, 1, 1, 1]], False)
    assert graph_convolutions(built(StridedConv1D, "matmul", (2, 64, 3)), (2, 64, 3)) == ([], True)
    convs, _ = graph_convolutions(built(StridedConv1DTranspose, "direct", (2, 16, 3)), (2, 16, 3))
    assert convs == [[1, 1, 4, 1]]  # Conv2DBackpropInput: the transposed convolution
    assert graph_convolutions(built(StridedConv1DTranspose, "polyphase", (2, 16, 3)), (2, 16, 3)) == ([[1, 1, 1, 1]], False)
    assert graph_convolutions(built(StridedConv1DTranspose, "matmul", (2, 16, 3)), (2, 16, 3)) == ([], True)


def test_training_forms_fall_back_to_the_direct_kernel_for_an_unknown_length():
    layer = StridedConv1D(4, 25, strides=4, padding="same", form="space_to_depth")
    layer.build((None, 64, 3))
    x = np.random.default_rng(0).normal(size=(2, 64, 3)).astype(np.float32)
    traced = tf.function(layer, input_signature=[tf.TensorSpec([None, None, 3], tf.float32)])
    np.testing.assert_allclose(traced(x).numpy(), ops.convert_to_numpy(layer(x)), rtol=1e-5, atol=1e-5)
    transposed = StridedConv1DTranspose(4, 25, strides=4, padding="same", form="matmul")
    transposed.build((None, 16, 3))
    x = x[:, :16]
    traced = tf.function(transposed, input_signature=[tf.TensorSpec([None, None, 3], tf.float32)])
    np.testing.assert_allclose(traced(x).numpy(), ops.convert_to_numpy(transposed(x)), rtol=1e-5, atol=1e-5)


def test_polyphase_rows_of_the_paper_kernel():
    # kernel 25, stride 4, "same" (offset 10): out[4m + p] = Σ_i x[i] · kernel[4(m − i) + p + 10]; lags
    # m − i from −3 to 3, packed from the largest lag down; 25 marks a phase that meets no tap.
    rows, left, right = polyphase_rows(25, 4)
    assert (left, right) == (3, 3)
    np.testing.assert_array_equal(rows, [[22, 23, 24, 25], [18, 19, 20, 21], [14, 15, 16, 17], [10, 11, 12, 13],
                                         [6, 7, 8, 9], [2, 3, 4, 5], [25, 25, 0, 1]])


def test_training_forms_picked_for_the_paper_sizes():
    def forms(dim):
        g, d = WaveGANGenerator(dim=dim), WaveGANDiscriminator(dim=dim)
        g.build((None, 100))
        d.build((None, 16384, 1))
        return [c.computed_form for c in d.downconvs], [c.computed_form for c in g.upconvs]

    # Measured (docs/benchmarks.md): space-to-depth where D's input has at most 64 channels, one matmul
    # for D's 16-step last layer and for G's 13M-weight 16-step first layer at d = 64, the polyphase
    # filter for G's one-channel last layer.
    assert forms(64) == (["space_to_depth", "space_to_depth", "direct", "direct", "matmul"],
                         ["matmul", "direct", "direct", "direct", "polyphase"])
    assert forms(16) == (["space_to_depth"] * 4 + ["matmul"], ["direct"] * 4 + ["polyphase"])


def test_training_forms_keep_the_weights_and_the_config(monkeypatch):
    d = WaveGANDiscriminator(dim=4)
    d.build((None, 16384, 1))
    monkeypatch.setattr(conv, "training_conv_form", lambda *args: "direct")
    direct = WaveGANDiscriminator(dim=4)
    direct.build((None, 16384, 1))
    assert [c.computed_form for c in direct.downconvs] == ["direct"] * 5
    assert [c.computed_form for c in d.downconvs] != ["direct"] * 5
    # The same variables under the same names within the model (what checkpoints key on).
    assert [(w.path.split("/", 1)[1], w.shape) for w in d.weights] == [(w.path.split("/", 1)[1], w.shape)
                                                                       for w in direct.weights]
    direct.set_weights(d.get_weights())
    x = np.random.default_rng(0).uniform(-1, 1, (2, 16384, 1)).astype(np.float32)
    np.testing.assert_allclose(ops.convert_to_numpy(direct(x)), ops.convert_to_numpy(d(x)), rtol=1e-4, atol=1e-5)
    layer = run_layer_test(StridedConv1D, dict(filters=8, kernel_size=25, strides=4, padding="same", form="matmul",
                                                name="conv"), input_shape=(2, 64, 3), expected_output_shape=(2, 16, 8))
    restored = StridedConv1D.from_config(layer.get_config())
    assert restored.form == "matmul" and restored.get_config() == layer.get_config()
    with pytest.raises(ValueError, match="form must be one of"):
        StridedConv1D(8, 25, strides=4, form="fast")
    with pytest.raises(ValueError, match="needs a strided 'same'"):
        StridedConv1D(8, 25, strides=4, padding="valid", form="matmul").build((None, 64, 2))


@pytest.mark.parametrize("form", ["polyphase", "matmul"])
def test_strided_conv1d_transpose_in_the_harness(form):
    settings = dict(filters=4, kernel_size=25, strides=4, padding="same", form=form)
    layer = run_layer_test(StridedConv1DTranspose, settings, input_shape=(2, 16, 3), expected_output_shape=(2, 64, 4),
                           atol=1e-5, rtol=1e-5)
    assert layer.computed_form == form
