"""The WaveNet baseline: μ-law, causal convolutions, receptive field, shapes and parameter counts at the
defaults (literal values from docs/reference.md (part two)), conditioning, seeds, and naive == fast generation."""

import numpy as np
import pytest
import tensorflow as tf

from wavegan.audio import categories
from wavegan.audio import mulaw
from wavegan.errors import UserError
from wavenet import generation
from wavenet.data import pieces, trim_silence
from wavenet.fast_generation import FastGenerator
from wavenet.models import ResidualBlock, WaveNet, causal_conv, receptive_field


def small(gc: bool = False, biases: bool = True, seed: int = 0) -> WaveNet:
    tf.keras.utils.set_random_seed(seed)
    model = WaveNet(dilations=[1, 2, 4, 8, 16] * 2, residual_channels=8, dilation_channels=8, skip_channels=16,
                    quantization_channels=32, use_biases=biases, gc_channels=4 if gc else 0,
                    gc_cardinality=3 if gc else 0, name="wavenet").build_for()
    rng = np.random.default_rng(seed)
    for v in model.trainable_variables:  # non-zero biases and a non-identity table exercise every term
        if "bias" in v.path or "embedding" in v.path:
            v.assign(rng.normal(0, 0.3, v.shape).astype(np.float32))
    return model


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
    model = small()
    width = 3 * model.receptive_field
    assert model(np.zeros((2, width), np.int32)).shape == (2, width - model.receptive_field + 1, 32)


def test_no_output_depends_on_a_future_sample():
    model = small()
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
    model = small(gc=True)
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


@pytest.fixture(params=["fused", "lean"])
def fast_form(request, monkeypatch):
    """Both forms of the fast step (FastGenerator._fuse), whatever the batch size."""
    from wavenet import fast_generation

    monkeypatch.setattr(fast_generation, "FUSED_MAX_BATCH", 10 ** 6 if request.param == "fused" else 0)
    return request.param


@pytest.mark.parametrize("gc,biases", [(False, False), (True, True)])
def test_naive_and_fast_generation_give_the_same_samples(gc, biases, fast_form):
    model = small(gc=gc, biases=biases)
    ids = np.array([0, 2]) if gc else None
    kwargs = dict(n=2, length=120, temperature=1.0, seed=3, ids=ids)
    fast = generation.generate(model, fast=True, **kwargs)
    naive = generation.generate(model, fast=False, **kwargs)
    assert fast.shape == (2, 120)
    np.testing.assert_array_equal(fast, naive)
    assert len(np.unique(fast)) > 5  # sampled, not stuck


def test_fast_step_logits_match_the_network_after_priming(fast_form):
    model = small(gc=True)
    rng = np.random.default_rng(4)
    history = rng.integers(0, 32, (2, model.receptive_field + 30))
    ids = np.array([1, 2])
    fast = FastGenerator(model)
    fast.start(history[:, :model.receptive_field - 1], ids)
    expected = np.asarray(model((history, ids)))  # [2, 31, Q]
    for j in range(31):
        got = fast.step(history[:, model.receptive_field - 1 + j])
        np.testing.assert_allclose(got, expected[:, j], atol=2e-5)


def test_seed_context_and_sampling():
    model = small()
    rng = np.random.default_rng(0)
    context = generation.initial_context(model, 2, rng)
    assert (context[:, :-1] == 16).all()  # silence (Q/2) and one random class
    seed = np.array([3, 4, 5], np.int32)
    seeded = generation.initial_context(model, 2, rng, seed)
    assert seeded[0, -3:].tolist() == [3, 4, 5] and (seeded[:, :-3] == 16).all()
    a = generation.generate(model, 2, 50, 1.0, seed=7, wav_seed=seed)
    assert a.shape == (2, 50)  # the seed is not part of the output
    np.testing.assert_array_equal(a, generation.generate(model, 2, 50, 1.0, seed=7, wav_seed=seed))
    assert not np.array_equal(a, generation.generate(model, 2, 50, 1.0, seed=8, wav_seed=seed))
    logits = np.log(np.array([[0.1, 0.6, 0.3]]))
    assert generation.sample_classes(logits, 0.0, np.array([0.0])).tolist() == [1]
    assert [generation.sample_classes(logits, 1.0, np.array([u]))[0] for u in (0.05, 0.5, 0.95)] == [0, 1, 2]


def test_silence_trim_and_pieces():
    loud = np.concatenate([np.zeros(4096), 0.8 * np.ones(8192), np.zeros(4096)]).astype(np.float32)[:, None]
    trimmed = np.asarray(trim_silence(tf.constant(loud), 0.3))
    assert 0 < len(trimmed) < len(loud) and trimmed.max() == pytest.approx(0.8)
    assert len(np.asarray(trim_silence(tf.constant(np.zeros((5000, 1), np.float32)), 0.3))) == 0
    samples = np.arange(1, 251, dtype=np.float32)[:, None]
    cut = np.asarray(pieces(tf.constant(samples), receptive_field=10, sample_size=100, silence_threshold=0))
    assert cut.shape == (3, 110, 1)  # ceil(250 / 100) pieces of rf + sample_size
    assert (cut[0, :10] == 0).all() and cut[0, 10, 0] == 1  # left-padded with rf zeros
    assert cut[1, 0, 0] == 91 and cut[1, 10, 0] == 101  # pieces overlap by rf: each target once
    assert cut[2, 59, 0] == 250 and (cut[2, 60:] == 0).all()  # last one zero-padded at the end


def test_graph_generator_of_the_savedmodel_matches_numpy():
    from wavenet.fast_generation import GraphFastGenerator

    model = small(gc=True)
    ids = np.array([1, 2])
    context = generation.initial_context(model, 2, np.random.default_rng(0))
    graph = GraphFastGenerator(model).generate(tf.constant(context), 60, tf.constant(0.0), tf.constant(0),
                                               tf.constant(ids))
    np.testing.assert_array_equal(np.asarray(graph), generation.generate(model, 2, 60, 0.0, seed=0, ids=ids))
