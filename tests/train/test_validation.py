"""Training's validation (wavegan/train/validation.py): the best checkpoint follows the metric, the scalars are
written, the one warning fires on a collapse or a lasting rise and not on a healthy run, patience stops."""

import json
import logging
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import event_tags
from wavegan import metrics
from wavegan.config import DataConfig, RunConfig, TrainConfig
from wavegan.errors import UserError
from wavegan.train import checkpoints, validation
from wavegan.train.kind import Renderer
from wavegan.train.validation import Evaluation, Watch


def feed(watch, values, collapses=None):
    collapses = collapses or [None] * len(values)
    return [watch.add(step, value, collapse) for step, (value, collapse) in enumerate(zip(values, collapses), 1)]


def test_the_best_follows_the_metric():
    watch = Watch("frechet_distance")
    verdicts = feed(watch, [10.0, 8.0, 9.0, 7.0, 7.5, float("nan")])
    assert [v.best for v in verdicts] == [True, True, False, True, False, False]
    assert watch.best == {"step": 4, "value": 7.0}
    higher = Watch("Inception score", higher_is_better=True)
    assert [v.best for v in feed(higher, [1.0, 2.0, 1.5, 2.5])] == [True, True, False, True]


def test_the_warning_fires_once_when_the_metric_stays_above_1_5_times_its_best():
    watch = Watch("frechet_distance")
    verdicts = feed(watch, [10.0, 8.0, 13.0, 13.0, 11.0, 13.0, 13.0, 13.0, 20.0, 20.0])
    # 13 > 1.5 × 8 = 12 twice, broken by 11, then three in a row: the warning comes at the eighth
    assert [v.warning is not None for v in verdicts] == [False] * 7 + [True, False, False]
    assert "above 1.5× its best (8 at step 2) for 3 evaluations" in verdicts[7].warning
    assert not any(v.stop for v in verdicts)  # no --train_stop_patience: never stops


def test_a_healthy_noisy_run_gives_no_warning():
    rng = np.random.default_rng(0)
    values = 1000.0 * 0.95 ** np.arange(60) * rng.uniform(0.75, 1.25, 60) + 50.0
    spreads = [None] * 60  # diverse clips throughout
    verdicts = feed(Watch("frechet_distance", stop_patience=3), list(values), spreads)
    assert not any(v.warning or v.stop for v in verdicts)


def test_a_collapse_warns_at_once_but_not_a_generator_that_has_not_started():
    untrained = feed(Watch("frechet_distance"), [500.0, 480.0, 470.0], ["near-identical"] * 3)
    assert not any(v.warning for v in untrained)
    watch = Watch("frechet_distance")
    verdicts = feed(watch, [500.0, 300.0, 200.0, 210.0], ["near-identical", None, None, "one class"])
    assert [v.warning is not None for v in verdicts] == [False, False, False, True]
    assert "collapsed at step 4 (one class)" in verdicts[3].warning


def test_patience_stops_after_that_many_bad_evaluations_in_a_row():
    verdicts = feed(Watch("mse", stop_patience=2), [1.0, 2.0, 0.9, 2.0, 2.0, 2.0])
    assert [v.stop for v in verdicts] == [False, False, False, False, True, True]
    assert verdicts[4].warning is not None  # the stop is said once, even before three rises


class FakeEvaluator:
    """Injects a metric sequence (and collapses) into the callback."""

    metric, higher_is_better = "frechet_distance", False

    def __init__(self, values, collapses=None):
        self.values, self.collapses = list(values), list(collapses or [None] * len(values))
        self.calls = 0

    def evaluate(self):
        i, self.calls = self.calls, self.calls + 1
        return Evaluation({self.metric: self.values[i], "spread": 0.5}, self.collapses[i])

    def frequent(self):
        return {"D_gap": 0.25}


def tiny_model():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, use_bias=False, name="d")], name="m")
    return model


def drive(train_dir, values, collapses=None, stop_patience=0, start=0):
    """A model whose kernel is set to the step before each evaluation, as training would change it."""
    model, optimizer = tiny_model(), keras.optimizers.SGD()
    optimizer.build(model.trainable_variables)
    manager = checkpoints.supervised_manager(train_dir, model, optimizer)
    step = tf.Variable(start, dtype=tf.int64)
    writer = tf.summary.create_file_writer(train_dir)
    callback = validation.ValidationCallback(train_dir, manager, step, writer, FakeEvaluator(values, collapses),
                                             valid_secs=0, summary_secs=0, stop_patience=stop_patience,
                                             print_fn=lambda line: None)
    callback.set_model(model)
    model.stop_training = False
    callback.on_train_begin()
    stopped_at = None
    for i in range(len(values)):
        step.assign(start + i + 1)
        model.layers[0].kernel.assign(np.full((2, 1), float(start + i + 1), np.float32))
        callback.on_train_batch_end(i)
        if model.stop_training and stopped_at is None:
            stopped_at = start + i + 1
    writer.flush()
    return callback, stopped_at


def best_kernel(train_dir):
    restored = tiny_model()
    checkpoints.restore_generator(restored, checkpoints.resolve_checkpoint(train_dir, "best"))
    return float(restored.layers[0].kernel.numpy()[0, 0])


def test_the_best_checkpoint_follows_the_metric_and_survives_a_resume(tmp_path):
    train_dir = str(tmp_path)
    drive(train_dir, [9.0, 5.0, 7.0, 6.0])
    assert checkpoints.resolve_checkpoint(train_dir, "best").endswith(os.path.join("best", "model.ckpt-2"))
    assert best_kernel(train_dir) == 2.0  # the weights of step 2, not the newest
    assert os.listdir(os.path.join(train_dir, "best")).count("model.ckpt-2.index") == 1
    record = json.load(open(os.path.join(train_dir, validation.VALIDATION_FILE)))
    assert [e["step"] for e in record["evaluations"]] == [1, 2, 3, 4] and record["best"]["step"] == 2
    drive(train_dir, [5.5, 4.0], start=4)  # resumed: 5.5 is no new best, 4.0 is
    assert best_kernel(train_dir) == 6.0
    assert sorted(f for f in os.listdir(os.path.join(train_dir, "best")) if f.endswith(".index")) == ["model.ckpt-6.index"]
    open(os.path.join(train_dir, "config.json"), "w").close()  # a train dir: generate --generate_from TRAIN_DIR/best
    assert checkpoints.split_source(os.path.join(train_dir, "best")) == (os.path.abspath(train_dir),
                                                                       os.path.join(train_dir, "best", "model.ckpt-6"))


def test_the_scalars_are_written(tmp_path):
    drive(str(tmp_path), [3.0, 2.0])
    tags = event_tags(str(tmp_path))
    for tag in ("valid/frechet_distance", "valid/spread"):
        assert tags.get(tag) == {"scalars"}, tags


def test_the_callback_warns_once_on_an_injected_collapse_and_stops_with_patience(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="wavegan"):
        drive(str(tmp_path / "healthy"), [100.0, 80.0, 70.0, 75.0, 60.0])
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="wavegan"):
        _, stopped = drive(str(tmp_path / "collapse"), [100.0, 80.0, 70.0, 90.0, 95.0, 99.0],
                           [None, None, None, "near-identical clips", "near-identical clips", "near-identical clips"],
                           stop_patience=2)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "collapsed at step 4" in warnings[0] and "--infer_ckpt best" in warnings[0]
    assert stopped == 5
    assert best_kernel(str(tmp_path / "collapse")) == 3.0


def test_best_is_refused_where_none_was_kept(tmp_path):
    with pytest.raises(UserError, match="No best checkpoint"):
        checkpoints.resolve_checkpoint(str(tmp_path), "best")


class FakeKind:
    to_critic_input = None
    renderer = Renderer()


def fake_run(n_latent=4):
    from wavegan.models.config import WaveGANConfig

    return RunConfig("wavegan", DataConfig(), WaveGANConfig(latent_dim=n_latent), TrainConfig())


def noise_clips(rng, n, offset, length=4096):
    """Noise bursts of different loudness and length, plus a DC offset the fake critic reads back."""
    clips = np.zeros((n, length, 1), np.float32)
    for i in range(n):
        end = rng.integers(length // 4, length)
        clips[i, :end, 0] = rng.uniform(0.05, 0.5) * rng.standard_normal(end)
    return clips + offset


def critic(x, training=False, labels=None):
    return np.mean(np.asarray(x), axis=(1, 2))  # reads back each batch's offset


def evaluator_for(generate, classify=None, envelope=None):
    rng = np.random.default_rng(0)
    valid, train = noise_clips(rng, 12, 0.1), noise_clips(rng, 12, 0.3)
    space = validation.logmel_space(16000)
    tools = validation.Tools(validation.FeatureSpace(space.name, space.embed, classify), envelope)
    return validation.GanEvaluator(generate, critic, FakeKind(), fake_run(), (valid, None), (train, None), tools, n=12)


def test_the_gan_evaluator_scores_the_critic_gap_and_a_healthy_generator():
    state = np.random.default_rng(1)

    def diverse(z, training=False, labels=None):
        return noise_clips(state, len(z), -0.2)

    result = evaluator_for(diverse, envelope=np.ones(metrics.ARTIFACT_FFT_LEN // 2 + 1)).evaluate()
    assert result.collapse is None
    values = result.values
    assert values["D_gap"] == pytest.approx(0.2, abs=0.01)  # training slices 0.3, held-out 0.1
    assert values["D_x_valid"] == pytest.approx(0.1, abs=0.01) and values["D_G_z"] == pytest.approx(-0.2, abs=0.01)
    assert values["spread"] > 0.3 and np.isfinite(values["frechet_distance"])
    assert values["artifact_share"] == pytest.approx(1.0)  # a flat envelope: all the energy


def test_the_gan_evaluator_calls_near_identical_clips_and_one_class_a_collapse():
    one = noise_clips(np.random.default_rng(2), 1, 0.0)

    def identical(z, training=False, labels=None):
        return np.repeat(one, len(z), axis=0)

    result = evaluator_for(identical).evaluate()
    assert result.collapse and "near-identical" in result.collapse and result.values["spread"] < 1e-6
    state = np.random.default_rng(3)

    def diverse(z, training=False, labels=None):
        return noise_clips(state, len(z), 0.0)

    one_class = evaluator_for(diverse, classify=lambda clips: np.eye(10)[np.zeros(len(clips), int)]).evaluate()
    assert one_class.values["top_class_share"] == 1.0 and "one class" in one_class.collapse


def test_held_out_loss_is_the_mean_loss_over_the_batches():
    model = tiny_model()
    model.layers[0].kernel.assign(np.full((2, 1), 2.0, np.float32))
    x = np.ones((3, 2), np.float32)  # predictions 4
    batches = [(x[:2], np.zeros((2, 1), np.float32)), (x[2:], np.full((1, 1), 2.0, np.float32))]
    result = validation.HeldOutLoss(model, lambda: batches, keras.losses.MeanSquaredError(), "mse", 0.5).evaluate()
    assert result.values["mse"] == pytest.approx(0.5 * (2 * 16 + 4) / 3)


def test_log_mel_statistics_follow_the_spectrum_at_any_rate():
    from wavegan.audio.features import logmel_statistics

    t = np.arange(16384) / 8000.0
    low, high = np.sin(2 * np.pi * 200 * t), np.sin(2 * np.pi * 3000 * t)
    stats = logmel_statistics(np.stack([low, high]).astype(np.float32), sample_rate=8000)
    assert stats.shape == (2, 128) and np.isfinite(stats).all()
    means = stats[:, :64]
    assert np.argmax(means[0]) < np.argmax(means[1])  # the loudest band moves up with the tone
