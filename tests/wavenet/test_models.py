"""wavenet.models: causal convolutions, receptive field, shapes and parameter counts at the defaults (literal
values from docs/reference.md (part two)), conditioning, and every layer through the harness."""

import numpy as np

from tests.harness import run_layer_test
from tests.model_fixtures import small_wavenet
from wavenet.models import CausalConv, ResidualBlock, WaveNet, causal_conv, receptive_field


def test_causal_conv_matches_numpy_and_keeps_the_newest_alignment():
    x = np.arange(1, 21, dtype=np.float32).reshape(1, 20, 1)
    out = np.asarray(causal_conv(x, np.ones((2, 1, 1), np.float32), 4))[0, :, 0]
    np.testing.assert_allclose(out, np.convolve(np.arange(1, 21), [1, 0, 0, 0, 1], "valid"))  # 16 outputs
    shift = np.asarray(causal_conv(x, np.array([[[0.0]], [[1.0]]], np.float32), 1))[0, :, 0]
    np.testing.assert_allclose(shift, np.arange(2, 21))  # tap 1 is the newest: no time shift


def test_receptive_field_values_from_the_spec():
    assert receptive_field([2 ** i for i in range(10)] * 5, 2) == 5117
    assert receptive_field([2 ** i for i in range(7)] * 2, 2) == 256
    assert receptive_field([2 ** i for i in range(9)], 2) == 513
    assert receptive_field([2 ** i for i in range(7)] * 2, 2, scalar_input=True, initial_filter_width=4) == 258
    model = small_wavenet()
    width = 3 * model.receptive_field
    assert model(np.zeros((2, width), np.int32)).shape == (2, width - model.receptive_field + 1, 32)


def test_no_output_depends_on_a_future_sample():
    model = small_wavenet()
    rf, width = model.receptive_field, 200
    rng = np.random.default_rng(1)
    classes = rng.integers(0, 32, (1, width))
    base = np.asarray(model(classes))[0]
    p = 150  # change one input sample
    changed = classes.copy()
    changed[0, p] = (changed[0, p] + 7) % 32
    after = np.asarray(model(changed))[0]
    differs = np.abs(after - base).max(axis=1) > 1e-6
    # Output j sees inputs j … j + rf − 1: exactly the outputs whose window holds p change.
    expected = np.array([j <= p <= j + rf - 1 for j in range(len(base))])
    assert differs.tolist() == expected.tolist()


def test_default_shapes_and_parameter_counts():
    model = WaveNet(name="wavenet").build_for()
    assert model.receptive_field == 5117
    shapes = {v.path: tuple(v.shape) for v in model.trainable_variables}
    assert shapes["wavenet/causal_layer/filter"] == (2, 256, 32)
    assert shapes["wavenet/layer7/filter"] == shapes["wavenet/layer7/gate"] == (2, 32, 32)
    assert shapes["wavenet/layer7/dense"] == (32, 32) and shapes["wavenet/layer7/skip"] == (32, 512)
    assert len(model.blocks) == 50
    count = lambda m: sum(int(np.prod(v.shape)) for v in m.trainable_variables)
    assert sum(int(np.prod(s)) for p, s in shapes.items() if p.startswith("wavenet/layer3/")) == 22112
    assert count(model) == 1515968
    assert count(WaveNet(use_biases=False).build_for()) == 1484800
    assert count(WaveNet(gc_channels=32, gc_cardinality=377).build_for()) == 1630432


def test_gated_block_output_shapes():
    block = ResidualBlock(dilation=4, filter_width=2, residual_channels=8, dilation_channels=6, skip_channels=10,
                          use_biases=True)
    residual, skip = block(np.zeros((3, 40, 8), np.float32), output_width=7)
    assert residual.shape == (3, 36, 8) and skip.shape == (3, 7, 10)


def test_conditioning_acts_only_through_the_embedding():
    model = small_wavenet(gc=True)
    classes = np.random.default_rng(2).integers(0, 32, (1, 120))
    out = lambda i: np.asarray(model((classes, np.array([i]))))
    assert np.abs(out(0) - out(1)).max() > 1e-4  # another id, another output
    table = model.gc_embedding.numpy()
    model.gc_embedding.assign(np.stack([table[0], table[0], table[2]]))
    np.testing.assert_array_equal(out(0), out(1))  # same embedding row → same output
    for block in model.blocks:  # and it enters through gc_filter / gc_gate only
        block.gc_filter.assign(np.zeros(block.gc_filter.shape))
        block.gc_gate.assign(np.zeros(block.gc_gate.shape))
    np.testing.assert_allclose(out(0), out(2), atol=1e-6)


def test_wavenet_in_the_harness():
    rng = np.random.default_rng(0)
    settings = dict(dilations=[1, 2], residual_channels=4, dilation_channels=4, skip_channels=8,
                    quantization_channels=16)
    classes = rng.integers(0, 16, (2, 12))  # receptive field 5: 8 outputs
    run_layer_test(WaveNet, settings, input_data=classes, expected_output_shape=(2, 8, 16))
    run_layer_test(WaveNet, dict(settings, gc_channels=3, gc_cardinality=4), input_data=(classes, np.array([0, 3])),
                   expected_output_shape=(2, 8, 16))
    run_layer_test(WaveNet, dict(settings, scalar_input=True, initial_filter_width=4), input_data=classes,
                   expected_output_shape=(2, 6, 16))


def test_causal_conv_in_the_harness():
    run_layer_test(CausalConv, dict(filters=4, kernel_size=2), input_shape=(2, 10, 3), expected_output_shape=(2, 9, 4))


def test_residual_block_in_the_harness():
    settings = dict(dilation=2, filter_width=2, residual_channels=4, dilation_channels=3, skip_channels=5)
    run_layer_test(ResidualBlock, dict(settings, use_biases=True), input_shape=(2, 12, 4),
                   call_kwargs=dict(output_width=6), expected_output_shape=((2, 10, 4), (2, 6, 5)))
    run_layer_test(ResidualBlock, dict(settings, use_biases=False, gc_channels=3), input_shape=(2, 12, 4),
                   call_kwargs=dict(output_width=6, embedding=np.ones((2, 3), np.float32)),
                   expected_output_shape=((2, 10, 4), (2, 6, 5)))
