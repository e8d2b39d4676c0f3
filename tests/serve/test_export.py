"""wavegan.serve.export: the exported signatures compute what the generator computes (the export runs faster
layer forms), in bfloat16 too, and a conditional generator takes a label beside z."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

from tests.model_fixtures import Z, tiny_pair
from wavegan.errors import UserError
from wavegan.serve.export import estimated_export_bytes, export_generator
from wavegan.train.kind import Renderer
from wavegan.models import WaveGANGenerator


def test_export_outputs_equal_the_generator_up_to_float_rounding(tmp_path):
    generator = WaveGANGenerator(dim=4, num_channels=2)
    generator.build((None, 100))
    path = export_generator(generator, os.path.join(tmp_path, "saved_model"), {"latent_dim": 100}, Renderer())
    loaded = tf.saved_model.load(path)
    z = np.random.default_rng(0).uniform(-1, 1, (5, 100)).astype(np.float32)
    expected = generator(z, training=False).numpy()
    out = loaded.signatures["serving_default"](z=tf.constant(z))
    np.testing.assert_allclose(out["G_z"].numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(np.abs(out["G_z_int16"].numpy().astype(int) - (expected * 32767).astype(int)) <= 1,
                                  True)
    flat = loaded.signatures["flat"](z=tf.constant(z), flat_pad=tf.constant(3))["G_z_flat"].numpy()
    np.testing.assert_allclose(flat.reshape(5, -1, 2)[:, :16384], expected, rtol=1e-5, atol=1e-6)
    # The first layer's trained kernel is not stored beside its faster form.
    shapes = {tuple(shape) for _, shape in tf.train.list_variables(os.path.join(path, "variables", "variables"))}
    assert (25, 32, 64) not in shapes and (7, 64, 4 * 32) in shapes
    assert "precision" not in json.load(open(os.path.join(path, "wavegan.json")))


@pytest.mark.parametrize("upsample", ["zeros", "nn"])
def test_bfloat16_export_keeps_float32_io_and_stays_within_bfloat16_rounding(tmp_path, upsample):
    """`infer --infer_precision bfloat16`: the signatures take and give float32 (int16 as before), the
    upsampling layers' weights are stored and used in bfloat16; outputs within 30 dB signal-to-error and 5%
    of the peak of the float32 generator (the d=64 export measures 42–46 dB, docs/benchmarks.md)."""
    generator = WaveGANGenerator(dim=4, upsample=upsample)
    generator.build((None, 100))
    path = export_generator(generator, os.path.join(tmp_path, "saved_model"), {"latent_dim": 100}, Renderer(),
                            precision="bfloat16")
    assert json.load(open(os.path.join(path, "wavegan.json")))["precision"] == "bfloat16"
    loaded = tf.saved_model.load(path)
    assert {v.dtype for v in loaded.variables} == {tf.float32, tf.bfloat16}  # the dense projection stays float32
    z = np.random.default_rng(0).uniform(-1, 1, (5, 100)).astype(np.float32)
    expected = generator(z, training=False).numpy()
    out = loaded.signatures["serving_default"](z=tf.constant(z))
    assert out["G_z"].dtype == tf.float32 and out["G_z_int16"].dtype == tf.int16
    error = out["G_z"].numpy() - expected
    assert 10 * np.log10(np.sum(expected ** 2) / np.sum(error ** 2)) > 30
    assert 0 < np.abs(error).max() < 0.05 * np.abs(expected).max()


def test_export_refuses_an_unknown_precision(tmp_path):
    generator = WaveGANGenerator(dim=4)
    generator.build((None, 100))
    with pytest.raises(UserError, match="bfloat16"):
        export_generator(generator, os.path.join(tmp_path, "saved_model"), {"latent_dim": 100}, Renderer(),
                         precision="float16")


def test_export_with_the_d64_layer_forms_equals_the_generator(tmp_path, monkeypatch):
    """The forms d = 64 takes (first layer per phase, second switching on the input size, last as col2im),
    forced onto a small generator: the SavedModel still computes the generator up to float rounding, on
    both sides of the second layer's switch."""
    from wavegan.layers import conv as layers

    monkeypatch.setattr(layers, "POLYPHASE_PER_PHASE_MIN_WEIGHTS", 0)
    monkeypatch.setattr(layers, "POLYPHASE_SWITCH_MIN_CHANNELS", 0)
    monkeypatch.setattr(layers, "POLYPHASE_COL2IM_MIN_CHANNELS", 0)
    generator = WaveGANGenerator(dim=4)
    generator.build((None, 100))
    modes = [(getattr(f, "mode", None), getattr(f, "switch_rows", None)) for f in generator.inference_upconvs()]
    assert modes == [("phases", None), ("phases", 256), (None, None), (None, None), ("col2im", None)]
    path = export_generator(generator, os.path.join(tmp_path, "saved_model"), {"latent_dim": 100}, Renderer())
    serving = tf.saved_model.load(path).signatures["serving_default"]
    for batch in (1, 5):  # the second layer sees 64 and 320 input samples: per phase, then as trained
        z = np.random.default_rng(batch).uniform(-1, 1, (batch, 100)).astype(np.float32)
        np.testing.assert_allclose(serving(z=tf.constant(z))["G_z"].numpy(), generator(z, training=False).numpy(),
                                   rtol=1e-5, atol=1e-6)


def test_saved_model_takes_a_label_beside_z(tmp_path):
    from wavegan.serve import export
    from wavegan.train.kind import Renderer

    g, _ = tiny_pair(3)
    out = export.export_generator(g, str(tmp_path / "saved"), {"latent_dim": 100, "classes": ["a", "b", "c"]},
                                  Renderer())
    signatures = tf.saved_model.load(out).signatures
    inputs = signatures["serving_default"].structured_input_signature[1]
    assert set(inputs) == {"z", "label"} and inputs["label"].dtype == tf.int32
    assert "label" in signatures["sample"].structured_input_signature[1]
    assert "label" in signatures["flat"].structured_input_signature[1]
    y = np.array([2, 0, 1], np.int32)
    expected = g(Z, labels=y).numpy()
    served = signatures["serving_default"](z=tf.constant(Z), label=tf.constant(y))["G_z"].numpy()
    # The export runs the faster inference forms of the upsampling layers: equal up to float rounding.
    np.testing.assert_allclose(served, expected, rtol=1e-4, atol=1e-7)
    mixed = signatures["mix"](z=tf.constant(Z), label_weights=tf.constant(np.eye(3, dtype=np.float32)[y]))["G_z"]
    np.testing.assert_array_equal(mixed.numpy(), served)
    other = signatures["serving_default"](z=tf.constant(Z), label=tf.constant((y + 1) % 3))["G_z"].numpy()
    assert np.abs(other - served).max() > 1e-3 * np.abs(served).max()  # the label input is used
    assert export.read_export_info(out)["classes"] == ["a", "b", "c"]


def test_the_export_weighs_what_the_disk_check_expects(tmp_path):
    """The disk-space check before training counts the export at `estimated_export_bytes`: held against a
    real export's variables (Keras writes each one twice; the estimate must follow if that changes)."""
    generator = WaveGANGenerator(dim=8)
    generator.build((None, 100))
    path = export_generator(generator, os.path.join(tmp_path, "saved_model"), {"latent_dim": 100}, Renderer())
    folder = os.path.join(path, "variables")
    written = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))
    assert estimated_export_bytes(generator) == pytest.approx(written, rel=0.02)

