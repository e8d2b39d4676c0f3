"""Pins of reference §B1–§B7 (the WaveNet baseline) on the project's models and data functions as built.

Each expected value is a literal from docs/reference.md, or the NumPy/librosa reference in
tests/paper/baselines_reference.py, and each check runs the project's own code (the shipped
wavenet_params.json, the script's flag defaults through the kind's make_run, WaveNet, pieces, the loss and
optimisers the train mode uses, both generators), on inputs where the detail shows: non-zero biases, a
non-identity embedding, signals whose silence sits where the trim rule decides.
"""

import json
import os

import keras
import numpy as np
import pytest
import soundfile
import tensorflow as tf

from tests import audio_fixtures as fx
from tests.paper import baselines_reference as ref
from tests.paper.script_flags import default_settings, script_defaults
from wavegan.audio import mulaw
from wavegan.config import DataConfig, RunConfig, TrainConfig
from wavegan.errors import UserError
from wavenet import generation
from wavenet import kind as wavenet_kind
from wavenet.config import DEFAULT_PARAMS, WaveNetConfig, read_params
from wavenet.data import pieces, to_training_pair, trim_silence
from wavenet.fast_generation import FastGenerator
from wavenet.models import WaveNet, receptive_field
from wavenet.run import build_model, generate_clips, make_loss, make_optimizer

# reference §B2.1
PAPER_PARAMS = {"filter_width": 2, "sample_rate": 16000, "dilations": [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] * 5,
                "residual_channels": 32, "dilation_channels": 32, "quantization_channels": 256,
                "skip_channels": 512, "use_biases": True, "scalar_input": False, "initial_filter_width": 32}


def small(gc: bool = False, biases: bool = True, seed: int = 0, dilations=(1, 2, 4, 8, 16, 1, 2, 4), q: int = 32):
    """A small WaveNet whose biases and embedding are far from their initial 0 / identity, so every term shows."""
    keras.utils.set_random_seed(seed)
    model = WaveNet(dilations=list(dilations), residual_channels=6, dilation_channels=5, skip_channels=7,
                    quantization_channels=q, use_biases=biases, gc_channels=3 if gc else 0,
                    gc_cardinality=4 if gc else 0, name="wavenet").build_for()
    rng = np.random.default_rng(seed)
    for v in model.trainable_variables:
        if "bias" in v.path or "embedding" in v.path:
            v.assign(rng.normal(0, 0.5, v.shape).astype(np.float32))
    return model


def count(model) -> int:
    return sum(int(np.prod(v.shape)) for v in model.trainable_variables)


# --- shipped settings and flag defaults (reference §B2.1, §B6, §B7) ------------------------------------------

def test_shipped_params_json_is_the_originals():
    with open(DEFAULT_PARAMS) as f:
        assert json.load(f) == PAPER_PARAMS
    assert read_params(DEFAULT_PARAMS) == PAPER_PARAMS


def test_flag_defaults_are_train_py_and_generate_py_defaults():
    """§B6 (train.py) and §B7 (generate.py); gc_channels None (off) is 0 here, max_checkpoints the kept count."""
    defaults = script_defaults("train_wavenet.py")
    expected = {
        "train_batch_size": 1, "train_max_steps": 100000, "wavenet_learning_rate": 1e-3,
        "wavenet_sample_size": 100000, "wavenet_l2_regularization_strength": 0.0, "wavenet_silence_threshold": 0.3,
        "wavenet_optimizer": "adam", "wavenet_momentum": 0.9, "wavenet_gc_channels": 0, "train_keep_checkpoints": 5,
        "wavenet_params": None,  # → the shipped wavenet_params.json
        "generate_samples": 16000, "generate_temperature": 1.0, "generate_fast": True, "generate_wav_seed": None,
        "data_normalize": False,  # librosa.load: floats in [−1, 1], not normalised (§B5.3)
        # docs/differences.md: the output holds only the generated samples unless asked to keep the context;
        # categories from the file name's prefix (the original: VCTK's p<speaker>_, `--wavenet_gc_from vctk`)
        "generate_keep_seed": False, "wavenet_gc_from": "prefix",
    }
    for name, value in expected.items():
        assert defaults.get(name, "missing") == value, name


def test_a_run_with_no_flags_gets_the_original_settings(tmp_path):
    """The script's defaults through the kind's make_run and the train mode's build_model: the shipped JSON's
    network (§B2.1, its sample rate for the data), train.py's training settings (§B6), and the parameter
    count of §B2.5."""
    run = wavenet_kind.make_run(default_settings("train_wavenet.py"), str(tmp_path / "run"))
    m = run.model
    assert (m.filter_width, m.dilations, m.residual_channels, m.dilation_channels, m.quantization_channels,
            m.skip_channels, m.use_biases, m.scalar_input, m.initial_filter_width) == (
        2, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] * 5, 32, 32, 256, 512, True, False, 32)
    assert (m.sample_size, m.silence_threshold, m.learning_rate, m.optimizer, m.momentum,
            m.l2_regularization_strength, m.gc_channels) == (100000, 0.3, 1e-3, "adam", 0.9, 0.0, 0)
    assert (run.data.sample_rate, run.data.normalize) == (16000, False)
    assert (run.train.batch_size, run.train.max_steps, run.train.keep_checkpoints) == (1, 100000, 5)
    model = build_model(run)
    assert model.receptive_field == 5117
    assert count(model) == 1515968


def test_the_params_json_sets_the_data_sample_rate(tmp_path):
    """§B2.1: sample_rate is the rate audio is loaded at; training takes it from the JSON."""
    path = tmp_path / "params.json"
    path.write_text(json.dumps({**PAPER_PARAMS, "sample_rate": 8000, "dilations": [1, 2]}))
    settings = default_settings("train_wavenet.py")
    settings.wavenet_params = str(path)
    run = wavenet_kind.make_run(settings, str(tmp_path / "run"))
    assert run.data.sample_rate == 8000 and run.model.dilations == [1, 2]


# --- μ-law (reference §B1) ---------------------------------------------------------------------------------

def test_mulaw_reference_values_and_formula():
    inputs = np.array([-1, 1, 0.6, -0.25, 0.01, 0.33, -0.9999, 0.42, 0.1, -0.45])
    expected = [0, 255, 243, 32, 157, 230, 0, 235, 203, 18]
    assert np.asarray(mulaw.encode(inputs, 256)).tolist() == expected
    assert mulaw.encode_np(inputs, 256).tolist() == expected
    x = np.random.default_rng(0).uniform(-1.2, 1.2, 5000)  # past ±1 too: limited to 1 first
    np.testing.assert_array_equal(np.asarray(mulaw.encode(x, 256)), ref.mulaw_encode(x))
    np.testing.assert_array_equal(mulaw.encode_np(x, 256), ref.mulaw_encode(x))
    classes = np.arange(256)
    np.testing.assert_allclose(mulaw.decode_np(classes, 256), ref.mulaw_decode(classes), atol=1e-6)
    np.testing.assert_allclose(np.asarray(mulaw.decode(classes, 256)), ref.mulaw_decode(classes), atol=1e-6)
    assert mulaw.encode_np(np.zeros(1))[0] == 128  # silence
    assert mulaw.decode_np(np.array([128]))[0] == pytest.approx(8.6e-5, rel=0.01)  # not 0
    assert mulaw.decode_np(np.array([0, 255])).tolist() == pytest.approx([-1.0, 1.0], abs=1e-10)
    assert mulaw.encode_np(mulaw.decode_np(classes)).tolist() == classes.tolist()  # decode → encode: identity
    # Another Q: μ = Q − 1 (§B8: with 123 channels, 10,000 points reach all 123 classes).
    np.testing.assert_array_equal(mulaw.encode_np(x, 123), ref.mulaw_encode(x, 123))
    assert len(np.unique(mulaw.encode_np(np.linspace(-1, 1, 10000), 123))) == 123


def test_mulaw_line_fit_of_reference_b8():
    x = np.linspace(-1, 1, 1000)
    y = mulaw.decode_np(mulaw.encode_np(x))
    slope, intercept = np.polyfit(x, y, 1)
    assert slope == pytest.approx(1, abs=1e-4) and intercept == pytest.approx(0, abs=1e-4)
    np.testing.assert_allclose(y, x, rtol=0.1, atol=0.05)
    np.testing.assert_array_equal(mulaw.decode_np(mulaw.encode_np(y)), y)  # stable under re-encoding


# --- receptive field and causal alignment (reference §B2.2, §B2.4, §B4) ----------------------------------------

def test_receptive_field_values():
    assert receptive_field([1, 2, 4, 8, 16, 32, 64, 128, 256, 512] * 5, 2) == 5117
    assert WaveNetConfig().receptive_field == 5117
    assert receptive_field([1, 2, 4, 8, 16, 32, 64] * 2, 2) == 256
    assert receptive_field([1, 2, 4, 8, 16, 32, 64, 128, 256], 2) == 513
    assert receptive_field([1, 2, 4, 8, 16, 32, 64] * 2, 2, scalar_input=True, initial_filter_width=4) == 258
    assert WaveNetConfig(dilations=[1, 2, 4, 8, 16, 32, 64] * 2, scalar_input=True,
                         initial_filter_width=4).receptive_field == 258
    assert receptive_field([1, 2], 3) == 9  # (k − 1)·Σd + 1 + (k − 1) = 2·3 + 1 + 2


def test_each_output_sees_exactly_the_receptive_field_before_its_target():
    """§B2.4: output width = input width − RF + 1, output j reading inputs j … j + RF − 1; §B4: the pair the
    train mode builds makes that output predict sample j + RF (inputs all classes but the last, targets
    from RF on)."""
    model = small()
    rf = model.receptive_field
    assert rf == 1 * (1 + 2 + 4 + 8 + 16 + 1 + 2 + 4) + 2 == 40
    width = 90
    piece = np.linspace(-0.9, 0.9, width + 1).astype(np.float32)[None, :, None]  # a distinct class per sample
    inputs, targets = (np.asarray(t) for t in to_training_pair(tf.constant(piece), rf, 32))
    classes = ref.mulaw_encode(piece[0, :, 0], 32)
    np.testing.assert_array_equal(inputs[0], classes[:-1])
    np.testing.assert_array_equal(targets[0], classes[rf:])
    base = np.asarray(model(inputs))[0]
    assert base.shape == (width - rf + 1, 32) == (targets.shape[1], 32)
    for p in (0, 39, 40, 60, width - 1):
        changed = inputs.copy()
        changed[0, p] = (changed[0, p] + 11) % 32
        # Exactly: the outputs outside p's reach are computed from the same numbers (the oldest sample's
        # path through every layer's tap 0 moves output j = p by only ~1e-7).
        differs = (np.asarray(model(changed))[0] != base).any(axis=1)
        assert np.flatnonzero(differs).tolist() == [j for j in range(len(base)) if j <= p <= j + rf - 1], p
    # Output j's newest input is sample j + RF − 1; its target is sample j + RF: a shift of one sample.
    for j in (0, 17, len(base) - 1):
        assert targets[0, j] == classes[j + rf] and inputs[0, j + rf - 1] == classes[j + rf - 1]


def test_causal_convolution_checks_of_reference_b8():
    """testCausalConv: input 1…20, kernel [1, 1], d = 4 = numpy convolve(x, [1,0,0,0,1], 'valid'), 16 outputs;
    testNoTimeShift: the output lines up with the newest input."""
    from wavenet.models import causal_conv

    x = np.arange(1, 21, dtype=np.float32).reshape(1, 20, 1)
    out = np.asarray(causal_conv(x, np.ones((2, 1, 1), np.float32), 4))[0, :, 0]
    assert out.tolist() == np.convolve(np.arange(1, 21), [1, 0, 0, 0, 1], "valid").tolist() and len(out) == 16
    newest = np.asarray(causal_conv(x, np.array([[[0.0]], [[1.0]]], np.float32), 1))[0, :, 0]
    assert newest.tolist() == list(range(2, 21))


# --- the network (reference §B2.3, §B2.5, §B3) ---------------------------------------------------------------

@pytest.mark.parametrize("gc,biases", [(False, True), (False, False), (True, True)])
def test_network_equals_the_reference_forward_pass(gc, biases):
    """Initial causal conv without bias or activation; per layer z = tanh(filter) ⊙ σ(gate) from separate
    kernels, the conditioning added to filter and gate only; residual = newest(x) + z·W_dense + b; skip =
    the last output_width steps of z · W_skip + b; Σ skips → ReLU → 1×1 → ReLU → 1×1 → logits."""
    model = small(gc=gc, biases=biases)
    classes = np.random.default_rng(1).integers(0, 32, (2, 70))
    if gc:
        ids = np.array([3, 1])
        got = np.asarray(model((classes, ids)))
        expected = ref.wavenet_logits(model, classes, model.gc_embedding.numpy()[ids].astype(np.float64))
    else:
        got, expected = np.asarray(model(classes)), ref.wavenet_logits(model, classes)
    assert got.shape == expected.shape == (2, 70 - 40 + 1, 32)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_filter_and_gate_are_separate_kernels_and_the_initial_layer_has_no_bias():
    model = small()
    block = model.blocks[0]
    assert block.filter is not block.gate and tuple(block.filter.shape) == tuple(block.gate.shape) == (2, 6, 5)
    assert [w.path for w in model.causal_layer.weights] == ["wavenet/causal_layer/filter"]


def test_variables_and_parameter_counts_at_the_defaults():
    """§B2.5's table: shapes per variable, 22,112 per layer, 1,515,968 in all (1,484,800 without biases,
    1,630,432 with VCTK's conditioning, G 32, cardinality 377)."""
    model = WaveNet(**WaveNetConfig().model_kwargs(), name="wavenet").build_for()
    shapes = {v.path: tuple(v.shape) for v in model.trainable_variables}
    assert shapes["wavenet/causal_layer/filter"] == (2, 256, 32)
    for i in (0, 49):
        layer = {p.split("/")[-1]: s for p, s in shapes.items() if p.startswith(f"wavenet/layer{i}/")}
        assert layer == {"filter": (2, 32, 32), "gate": (2, 32, 32), "dense": (32, 32), "skip": (32, 512),
                         "filter_bias": (32,), "gate_bias": (32,), "dense_bias": (32,), "skip_bias": (512,)}
        assert sum(int(np.prod(s)) for s in layer.values()) == 22112
    assert len(model.blocks) == 50 and [b.dilation for b in model.blocks] == PAPER_PARAMS["dilations"]
    assert (shapes["wavenet/postprocess1/kernel"], shapes["wavenet/postprocess1/bias"]) == ((512, 512), (512,))
    assert (shapes["wavenet/postprocess2/kernel"], shapes["wavenet/postprocess2/bias"]) == ((512, 256), (256,))
    assert count(model) == 1515968
    assert count(WaveNet(**{**WaveNetConfig().model_kwargs(), "use_biases": False}).build_for()) == 1484800
    vctk = WaveNet(**{**WaveNetConfig().model_kwargs(), "gc_channels": 32, "gc_cardinality": 377}).build_for()
    assert count(vctk) == 1630432
    assert tuple(vctk.blocks[0].gc_filter.shape) == tuple(vctk.blocks[0].gc_gate.shape) == (32, 32)


def test_conditioning_table_starts_as_identity_only_when_square():
    """§B3: identity when cardinality = G, Glorot-uniform otherwise; each clip's id looks up its row."""
    square = WaveNet(dilations=[1, 2], residual_channels=4, dilation_channels=4, skip_channels=4,
                     quantization_channels=8, gc_channels=3, gc_cardinality=3).build_for()
    np.testing.assert_array_equal(square.gc_embedding.numpy(), np.eye(3))
    keras.utils.set_random_seed(0)
    wide = WaveNet(dilations=[1, 2], residual_channels=4, dilation_channels=4, skip_channels=4,
                   quantization_channels=8, gc_channels=3, gc_cardinality=40).build_for()
    table = wide.gc_embedding.numpy()
    bound = np.sqrt(6 / (40 + 3))
    assert np.abs(table).max() <= bound and np.abs(table).max() > 0.8 * bound and table.std() > 0.5 * bound / np.sqrt(3)


def test_conditioning_enters_filter_and_gate_only():
    """With gc_filter and gc_gate at zero, the id changes nothing: no other path carries it (§B3)."""
    model = small(gc=True)
    classes = np.random.default_rng(2).integers(0, 32, (1, 60))
    out = lambda i: np.asarray(model((classes, np.array([i]))))
    assert np.abs(out(0) - out(3)).max() > 1e-3
    for block in model.blocks:
        block.gc_filter.assign(np.zeros(block.gc_filter.shape))
        block.gc_gate.assign(np.zeros(block.gc_gate.shape))
    np.testing.assert_array_equal(out(0), out(3))


# --- loss and optimisers (reference §B4) -----------------------------------------------------------------------

def test_loss_is_cross_entropy_over_the_targets_from_the_receptive_field_on():
    """The train mode's loss on the train mode's pair: natural-log softmax cross-entropy, averaged over all
    B·(T − RF) positions, the first RF samples of each piece context only."""
    model = small()
    rf = model.receptive_field
    rng = np.random.default_rng(3)
    batch = rng.uniform(-1, 1, (3, rf + 25, 1)).astype(np.float32)
    inputs, targets = to_training_pair(tf.constant(batch), rf, 32)
    assert targets.shape == (3, 25)
    classes = ref.mulaw_encode(batch[..., 0], 32)
    expected = ref.cross_entropy(ref.wavenet_logits(model, classes[:, :-1]), classes[:, rf:])
    assert float(make_loss()(targets, model(inputs))) == pytest.approx(expected, rel=1e-5)
    model.compile(optimizer=make_optimizer(WaveNetConfig()), loss=make_loss(), jit_compile=False)
    assert float(model.evaluate(inputs, targets, verbose=0, batch_size=3)) == pytest.approx(expected, rel=1e-5)


def test_l2_term_covers_every_trainable_variable():
    """§B4/§B9.1: total = loss + λ·Σ½‖v‖², biases and the embedding table included (the original's "bias"
    filter matched nothing); λ = 0 adds nothing."""
    model = small(gc=True)
    classes = np.random.default_rng(4).integers(0, 32, (2, 50))
    ids = np.array([0, 2])
    targets = np.random.default_rng(5).integers(0, 32, (2, 50 - 40 + 1))
    logits = model((classes, ids))
    plain = float(make_loss()(targets, logits))
    model.compile(optimizer="sgd", loss=make_loss(), jit_compile=False)
    assert float(model.compute_loss(y=targets, y_pred=logits)) == pytest.approx(plain, rel=1e-6)
    model.l2_regularization_strength = 0.01
    squares = sum(0.5 * float(np.sum(np.square(v.numpy().astype(np.float64)))) for v in model.trainable_variables)
    names = [v.path for v in model.trainable_variables]
    assert any("bias" in n for n in names) and any("embedding" in n for n in names)
    assert float(model.compute_loss(y=targets, y_pred=logits)) == pytest.approx(plain + 0.01 * squares, rel=1e-5)


GRADIENTS = [np.array([0.3, -2.0, 0.01, 5.0]), np.array([-0.1, 1.0, 0.5, 5.0]), np.array([0.2, 0.2, -0.3, -4.0]),
             np.array([1.5, -0.4, 0.0, 0.1])]


def applied(optimizer, start: np.ndarray) -> list[np.ndarray]:
    """The variable after each of GRADIENTS, applied by `optimizer`."""
    v = keras.Variable(start.astype(np.float32))
    out = []
    for g in GRADIENTS:
        optimizer.apply_gradients([(tf.constant(g, tf.float32), v)])
        out.append(v.numpy().astype(np.float64))
    return out


@pytest.mark.parametrize("optimizer,momentum,expected", [
    ("adam", 0.9, lambda v, lr, m: ref.tf1_adam(v, GRADIENTS, lr, 0.9, 0.999, 1e-4)),
    ("sgd", 0.9, lambda v, lr, m: ref.tf1_momentum(v, GRADIENTS, lr, m)),
    ("sgd", 0.95, lambda v, lr, m: ref.tf1_momentum(v, GRADIENTS, lr, m)),
    ("rmsprop", 0.9, lambda v, lr, m: ref.tf1_rmsprop(v, GRADIENTS, lr, 0.9, m, 1e-5)),
    ("rmsprop", 0.0, lambda v, lr, m: ref.tf1_rmsprop(v, GRADIENTS, lr, 0.9, m, 1e-5)),
])
def test_optimiser_updates_are_tf1s(optimizer, momentum, expected):
    """§B4's table, update by update against TF1's rules: Adam β 0.9/0.999 with ε 1e-4 (ε-hat form); heavy-
    ball momentum SGD; RMSProp, decay 0.9, ε 1e-5, not centred, its mean square STARTING AT ONES."""
    start = np.array([0.5, -1.0, 2.0, 0.0])
    lr = 0.01
    got = applied(make_optimizer(WaveNetConfig(optimizer=optimizer, learning_rate=lr, momentum=momentum)), start)
    for step, (g, e) in enumerate(zip(got, expected(start, lr, momentum))):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-7, err_msg=f"update {step + 1}")


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop"])
def test_no_clipping_no_schedule(optimizer):
    opt = make_optimizer(WaveNetConfig(optimizer=optimizer, learning_rate=3e-3))
    assert (opt.clipnorm, opt.clipvalue, opt.global_clipnorm) == (None, None, None)
    assert float(opt.learning_rate) == pytest.approx(3e-3)
    assert not isinstance(opt._learning_rate, keras.optimizers.schedules.LearningRateSchedule)
    if optimizer == "sgd":
        assert not opt.nesterov
    if optimizer == "rmsprop":
        assert not opt.centered


# --- silence trim and pieces (reference §B5) --------------------------------------------------------------------

def trim_signals() -> dict:
    rng = np.random.default_rng(0)
    centred = np.zeros(10240)
    centred[5120 - 1024:5120 + 1024] = 0.8  # frame 10 exactly: RMS 0.8; frames 9 and 11: 0.8·√¾ ≈ 0.69
    speech = np.concatenate([np.zeros(3000), rng.normal(0, 1, 20000) * np.repeat(rng.uniform(0, 0.4, 40), 500),
                             np.zeros(2500)])
    return {
        "silence at both ends": (np.concatenate([np.zeros(4096), np.full(8192, 0.8), np.zeros(4096)]), 0.3),
        "one loud frame": (centred, 0.75),
        "all silence": (np.zeros(5000), 0.3),
        "quiet noise": (rng.uniform(-0.2, 0.2, 6000), 0.3),
        "loud from the start": (np.concatenate([rng.uniform(-1, 1, 7000), np.zeros(3000)]), 0.3),
        "shorter than a frame": (np.concatenate([np.zeros(500), np.full(800, 0.8), np.zeros(200)]), 0.3),
        "speech-like at the seed's 0.1": (speech, 0.1),
    }


@pytest.mark.parametrize("name", list(trim_signals()))
def test_silence_trim_is_the_originals(name):
    """§B5.4: from 512·(first frame with RMS above the threshold) up to, not including, 512·(last such frame),
    frames of 2048 (the clip's length when shorter), centred; nothing when no frame — or one frame — is loud.
    Compared with librosa's RMS as the original used it, and librosa's effects.trim (same loud frames, but it
    keeps the last one: its end is one hop later)."""
    import librosa

    audio, threshold = trim_signals()[name]
    audio = audio.astype(np.float32)
    start, end = ref.original_trim(audio, threshold)
    kept = np.asarray(trim_silence(tf.constant(audio[:, None]), threshold))[:, 0]
    np.testing.assert_array_equal(kept, audio[start:max(start, end)])
    literal = {"silence at both ends": (3584, 12800), "one loud frame": (5120, 5120), "all silence": (0, 0),
               "quiet noise": (0, 0)}
    if name in literal:
        assert (start, end) == literal[name]
    if start < end:
        frame = min(2048, audio.size)
        _, (trim_start, trim_end) = librosa.effects.trim(audio, top_db=0, ref=threshold, frame_length=frame,
                                                         hop_length=512)
        assert (trim_start, trim_end) == (start, min(end + 512, audio.size))


def test_a_threshold_of_at_most_0_001_disables_the_trim():
    audio = np.concatenate([np.zeros(4096), np.full(8192, 0.8), np.zeros(4096)]).astype(np.float32)[:, None]
    np.testing.assert_array_equal(np.asarray(trim_silence(tf.constant(audio), 0.001)), audio)


def test_pieces_follow_the_original_cutting():
    """§B5.5–6: receptive_field zeros prepended; pieces of RF + sample_size advancing by sample_size, so each
    real sample is a target exactly once; the last piece is shorter in the original and zero-padded at the
    end here (docs/differences.md, batch padding)."""
    rf, size = 10, 100
    audio = np.arange(1, 251, dtype=np.float32)
    got = np.asarray(pieces(tf.constant(audio[:, None]), rf, size, silence_threshold=0))[..., 0]
    expected = ref.original_pieces(audio, rf, size)
    assert got.shape == (len(expected), rf + size) == (3, 110)
    for piece, original in zip(got, expected):
        np.testing.assert_array_equal(piece[:len(original)], original)
        assert (piece[len(original):] == 0).all()
    targets = np.concatenate([piece[rf:] for piece in got])
    np.testing.assert_array_equal(targets[:250], audio)  # each real sample a target once, in order
    assert (targets[250:] == 0).all()
    whole = np.asarray(pieces(tf.constant(audio[:, None]), rf, 0, silence_threshold=0))[..., 0]
    np.testing.assert_array_equal(whole, [np.concatenate([np.zeros(rf), audio])])  # sample_size 0: one piece


def test_pieces_at_the_defaults_and_after_the_trim():
    """At the defaults a full piece has 5117 + 100000 = 105,117 samples; pieces start where the trim does."""
    audio = np.random.default_rng(0).uniform(-1, 1, 250000).astype(np.float32)
    cut = np.asarray(pieces(tf.constant(audio[:, None]), 5117, 100000, 0.3))
    assert cut.shape == (3, 105117, 1)
    loud = np.concatenate([np.zeros(4096), np.full(8192, 0.8), np.zeros(4096)]).astype(np.float32)
    cut = np.asarray(pieces(tf.constant(loud[:, None]), 40, 5000, 0.3))[..., 0]
    kept = loud[3584:12800]
    assert cut.shape == (2, 5040) and (cut[0, :40] == 0).all()
    np.testing.assert_array_equal(np.concatenate([cut[0, 40:], cut[1, 40:]])[:len(kept)], kept)
    silent = np.asarray(pieces(tf.constant(np.zeros((5000, 1), np.float32)), 40, 5000, 0.3))
    assert silent.shape[0] == 0  # §B5.7: an all-silent file gives no piece


def test_training_batches_pair_each_input_window_with_the_next_sample(tmp_path):
    """The train mode's dataset from a file: trimmed, cut and encoded as above; targets are the inputs from
    RF on, one sample later (§B4), so that every batch item predicts sample j + RF from j … j + RF − 1."""
    from wavegan.audio import pipeline
    from wavenet.data import make_dataset, piece_config

    rng = np.random.default_rng(0)
    audio = np.concatenate([np.zeros(3000), 0.7 * rng.uniform(-1, 1, 9000), np.zeros(3000)]).astype(np.float32)
    fx.write(str(tmp_path / "audio" / "a.wav"), audio[:, None], 16000)
    cfg = WaveNetConfig(dilations=[1, 2, 4, 8, 16, 1, 2, 4], quantization_channels=32, sample_size=500)
    rf = cfg.receptive_field
    data_cfg = piece_config(DataConfig(data_dir=str(tmp_path / "audio"), normalize=False), rf, cfg.sample_size)
    files = pipeline.prepare_files(data_cfg, 2)
    inputs, targets = (np.asarray(t) for t in next(iter(make_dataset(files, data_cfg, cfg, 2))))
    assert inputs.shape == (2, rf + 500 - 1) and targets.shape == (2, 500)
    np.testing.assert_array_equal(targets[:, :-1], inputs[:, rf:])


# --- generation (reference §B7, §B8) -----------------------------------------------------------------------------

@pytest.mark.parametrize("biases", [True, False])
def test_fast_generation_after_priming_equals_the_network(biases):
    """§B8's equivalence test: dilations [1…256], k 2, R = Dc = 16, Q 128, S 32; the fast generator primed
    with 999 random samples gives, for sample 1000, the distribution of the network fed all 1000 — its caches
    primed by `start` from the first RF − 1 samples, then fed the rest one by one; and primed by `start`
    alone from the last RF − 1 samples before the newest."""
    keras.utils.set_random_seed(0)
    model = WaveNet(dilations=[1, 2, 4, 8, 16, 32, 64, 128, 256], residual_channels=16, dilation_channels=16,
                    skip_channels=32, quantization_channels=128, use_biases=biases).build_for()
    rng = np.random.default_rng(0)
    if biases:
        for v in model.trainable_variables:
            if "bias" in v.path:
                v.assign(rng.normal(0, 0.3, v.shape).astype(np.float32))
    rf = model.receptive_field
    assert rf == 513
    samples = rng.integers(0, 128, (1, 1000))
    expected = ref.softmax(np.asarray(model(samples), np.float64)[:, -1])
    fast = FastGenerator(model)
    fast.start(samples[:, :rf - 1])
    for t in range(rf - 1, 999):
        fast.step(samples[:, t])
    got = fast.step(samples[:, 999])
    assert got.shape == (1, 128)
    np.testing.assert_allclose(ref.softmax(np.asarray(got, np.float64)), expected, atol=1e-6)
    primed = FastGenerator(model)
    primed.start(samples[:, 999 - (rf - 1):999])
    np.testing.assert_allclose(ref.softmax(np.asarray(primed.step(samples[:, 999]), np.float64)), expected, atol=1e-6)
    naive = generation.NaiveGenerator(model)
    naive.start(samples[:, 999 - (rf - 1):999])
    np.testing.assert_allclose(ref.softmax(np.asarray(naive.step(samples[:, 999]), np.float64)), expected, atol=1e-6)


def test_naive_and_fast_generation_give_the_same_clips_from_the_same_start():
    model = small(gc=True)
    kwargs = dict(n=2, length=60, temperature=1.0, seed=5, ids=np.array([1, 3]))
    np.testing.assert_array_equal(generation.generate(model, fast=True, **kwargs),
                                  generation.generate(model, fast=False, **kwargs))


def test_start_without_a_seed_is_silence_then_one_random_class():
    """§B7.3: receptive_field − 1 samples of class Q/2, then one class drawn uniformly."""
    model = small()
    context = generation.initial_context(model, 400, np.random.default_rng(0))
    assert context.shape == (400, 40)
    assert (context[:, :-1] == 16).all()
    assert set(context[:, -1].tolist()) == set(range(32))


def test_temperature_sharpens_p_to_the_power_one_over_t():
    """§B7.3: p' ∝ p^(1/T), drawn from (inverse CDF). p = (0.1, 0.6, 0.3): at T = 1 the CDF is (0.1, 0.7, 1);
    at T = 0.5, p' = (0.01, 0.36, 0.09)/0.46 and the CDF is (0.0217, 0.8043, 1)."""
    logits = np.log(np.array([[0.1, 0.6, 0.3]]))
    draw = lambda t, u: int(generation.sample_classes(logits, t, np.array([u]))[0])
    assert [draw(1.0, u) for u in (0.09, 0.11, 0.69, 0.71)] == [0, 1, 1, 2]
    assert [draw(0.5, u) for u in (0.02, 0.03, 0.80, 0.81)] == [0, 1, 1, 2]


def test_seed_is_trimmed_at_0_1_encoded_and_cut_to_the_receptive_field(tmp_path):
    """§B7.3: the seed file at the model's rate, silence trimmed at 0.1 (frames of 2048), μ-law encoded, its
    FIRST min(length, RF) samples kept."""
    model = small()
    rf = model.receptive_field
    rng = np.random.default_rng(0)
    audio = np.concatenate([np.zeros(3000), 0.5 * rng.uniform(-1, 1, 6000), np.zeros(3000)]).astype(np.float32)
    path = fx.write(str(tmp_path / "seed.wav"), audio[:, None], 16000)
    stored = soundfile.read(path, dtype="float64")[0]  # as 16-bit PCM stored it
    start, end = ref.original_trim(stored.astype(np.float32), 0.1)
    assert start == 2560 and end > start
    seed = generation.seed_classes(path, model, 16000)
    np.testing.assert_array_equal(seed, ref.mulaw_encode(stored[start:start + rf], 32))
    # A seed shorter than the receptive field is kept whole: 1500 loud samples → 3 frames of 1500 (hop 512),
    # all loud: [0, 1024), fewer than a receptive field of 1025.
    wide = small(dilations=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512))
    assert wide.receptive_field == 1025
    short = fx.write(str(tmp_path / "short.wav"), (0.5 * rng.uniform(-1, 1, (1500, 1))).astype(np.float32), 16000)
    assert len(generation.seed_classes(short, wide, 16000)) == 1024
    with pytest.raises(UserError, match="silent"):  # one loud frame (a clip under 512 samples) counts as silence
        generation.seed_classes(fx.write(str(tmp_path / "blip.wav"), np.full((300, 1), 0.6, np.float32), 16000),
                                model, 16000)


def test_the_context_is_cut_off_unless_kept():
    """The original wrote seed/silence + generated samples (§B7.3); here only the generated samples, the
    context kept on request (docs/differences.md, output)."""
    model = small()
    run = RunConfig("wavenet", DataConfig(), WaveNetConfig(quantization_channels=32), TrainConfig())
    clips = generate_clips(model, run, 2, 50, seed=1)
    kept = generate_clips(model, run, 2, 50, seed=1, keep_seed=True)
    assert clips.shape == (2, 50) and kept.shape == (2, 40 + 50)
    np.testing.assert_array_equal(kept[:, 40:], clips)
    context = generation.initial_context(model, 2, np.random.default_rng(1))
    np.testing.assert_allclose(kept[:, :40], ref.mulaw_decode(context, 32), atol=1e-6)
