"""What a run with held-out data (--data_valid_fraction / --data_valid_dir, wavegan/audio/split.py) watches
while it trains, and what it does with it.

Every --train_valid_secs (and when training ends) an evaluator measures the model on the held-out data:

- a GAN (`GanEvaluator`): the Fréchet distance of --train_valid_n generated clips (fixed latents) to as many
  held-out real slices, in a feature space that needs no labels: the log-mel statistics of
  wavegan/audio/features.py (mean and spread over time of 64 log-mel bands), or the embedding of
  --train_valid_classifier where one is given. Beside it the artifact share (reference §9.4), the spread of
  the generated clips against the held-out ones, and with a classifier the share of the commonest class.
  Every --train_summary_secs it also logs the critic's mean output on a fixed batch of held-out real slices,
  a fixed batch of training slices and a fixed batch of generated ones: a training batch scored higher and
  higher above the held-out one is a critic memorising its data.
- a likelihood baseline (`HeldOutLoss`): its loss on fixed held-out batches (the WaveNet's negative
  log-likelihood in bits per sample, the frame GRU's mean squared error).

`ValidationCallback` writes the values as TensorBoard scalars `valid/<name>` and a line per evaluation,
keeps the weights of the best evaluation in TRAIN_DIR/best/ (wavegan/train/checkpoints.py; the infer mode
exports them with --infer_ckpt best), and records every evaluation in TRAIN_DIR/validation.json. `Watch`
says, once, when things go wrong: the value has stayed more than RISE_FACTOR times worse than its best for
RISE_EVALUATIONS evaluations in a row, or the generated clips have collapsed (near-identical clips, or one
class under the classifier) after having been diverse; --train_stop_patience N stops training after N bad
evaluations in a row. The incept mode's Inception score (higher is better) uses the same `Watch`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import time
from typing import Any, Callable, Iterable, Protocol

import keras
import numpy as np
import tensorflow as tf

from wavegan import metrics
from wavegan.config import RunConfig, write_text_atomically
from wavegan.train import checkpoints

log = logging.getLogger("wavegan")

VALIDATION_FILE = "validation.json"
RISE_FACTOR = 1.5  # "worse than its best": above 1.5 × the best (below best / 1.5 where higher is better)
RISE_EVALUATIONS = 3  # that many evaluations in a row before the warning
NEAR_IDENTICAL = 0.1  # generated clips spread less than this share of the held-out clips' spread: collapsed
ONE_CLASS_SHARE = 0.9  # this share of the generated clips in one class under the classifier: collapsed
CRITIC_BATCH = 64  # the fixed batches the critic's mean output is taken on
GENERATE_BATCH = 64


@dataclasses.dataclass
class FeatureSpace:
    """How clips are compared: `embed` float clips [n, samples] (channel 0) → features [n, d]; `classify`
    (a classifier's, optional) → class probabilities [n, classes]."""

    name: str
    embed: Callable[[np.ndarray], np.ndarray]
    classify: Callable[[np.ndarray], np.ndarray] | None = None


def logmel_space(sample_rate: int) -> FeatureSpace:
    from wavegan.audio.features import logmel_statistics

    return FeatureSpace("log-mel statistics", lambda clips: logmel_statistics(clips, sample_rate))


@dataclasses.dataclass
class Tools:
    """What the caller (the CLI, which may load `eval`'s classifier and the artifact envelope) gives the GAN's
    validation: the feature space, and the artifact envelope [8193] or None (no artifact share)."""

    features: FeatureSpace | None = None
    envelope: np.ndarray | None = None


@dataclasses.dataclass
class Evaluation:
    """One evaluation: the scalars to log (the evaluator's `metric` among them) and, where the generated clips
    look collapsed, why."""

    values: dict[str, float]
    collapse: str | None = None


class Evaluator(Protocol):
    metric: str  # the key of `values` that decides the best checkpoint
    higher_is_better: bool

    def evaluate(self) -> Evaluation: ...

    def frequent(self) -> dict[str, float]: ...


@dataclasses.dataclass
class Verdict:
    best: bool
    warning: str | None = None
    stop: bool = False


class Watch:
    """The best value so far, the run of bad evaluations since, and the one warning.

    An evaluation is bad when its value is more than RISE_FACTOR times worse than the best, or when the clips
    have collapsed after an evaluation where they had not (a generator that has not started yet collapses
    too: that is no news). The warning is printed once, when RISE_EVALUATIONS bad values in a row have come,
    at the first collapse, or when `stop_patience` ends the run.
    """

    def __init__(self, metric: str, higher_is_better: bool = False, stop_patience: int = 0):
        self.metric, self.higher_is_better, self.stop_patience = metric, higher_is_better, stop_patience
        self.evaluations: list[dict[str, Any]] = []
        self.best: dict[str, Any] | None = None
        self.streak = 0
        self.diverse_seen = False
        self.warned = False

    def better(self, value: float, than: float) -> bool:
        return value > than if self.higher_is_better else value < than

    def much_worse(self, value: float) -> bool:
        """More than RISE_FACTOR times worse than the best (a non-finite value always is)."""
        if not math.isfinite(value):
            return True
        best = self.best["value"]
        return value < best / RISE_FACTOR if self.higher_is_better else value > best * RISE_FACTOR

    def add(self, step: int, value: float, collapse: str | None = None, **extras: float) -> Verdict:
        collapsed_now = collapse is not None and self.diverse_seen
        is_best = math.isfinite(value) and (self.best is None or self.better(value, self.best["value"]))
        rose = not is_best and self.best is not None and self.much_worse(value)
        if is_best:
            self.best = {"step": step, "value": value}
        self.streak = self.streak + 1 if (rose or collapsed_now) else 0
        self.diverse_seen = self.diverse_seen or collapse is None
        self.evaluations.append({"step": step, self.metric: value, "collapse": collapse, **extras})
        stop = bool(self.stop_patience) and self.streak >= self.stop_patience
        warning = None
        if not self.warned and (collapsed_now or (rose and self.streak >= RISE_EVALUATIONS) or stop):
            self.warned = True
            warning = self.message(step, value, collapse if collapsed_now else None)
        return Verdict(is_best, warning, stop)

    def message(self, step: int, value: float, collapse: str | None) -> str:
        best = self.best
        if collapse is not None:
            what = f"the generated clips have collapsed at step {step} ({collapse})"
        else:
            direction = f"below 1/{RISE_FACTOR:g}" if self.higher_is_better else f"above {RISE_FACTOR:g}×"
            what = (f"the {self.metric} has stayed {direction} its best ({best['value']:.4g} at step {best['step']}) "
                    f"for {self.streak} evaluations (now {value:.4g} at step {step})")
        return f"{what}: training may be collapsing or overfitting; the best weights so far are kept"

    def state(self) -> dict[str, Any]:
        return {"metric": self.metric, "higher_is_better": self.higher_is_better, "best": self.best,
                "streak": self.streak, "diverse_seen": self.diverse_seen, "evaluations": self.evaluations}

    def restore(self, state: dict[str, Any]) -> None:
        """Continues a resumed run's record (the warning may be printed once more in the new process)."""
        self.best, self.streak = state.get("best"), int(state.get("streak", 0))
        self.diverse_seen = bool(state.get("diverse_seen", False))
        self.evaluations = list(state.get("evaluations", []))


def load_record(train_dir: str) -> dict[str, Any] | None:
    """TRAIN_DIR/validation.json, or None."""
    path = os.path.join(train_dir, VALIDATION_FILE)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def _every(seconds: float):
    """A clock that is due at most once per `seconds` (0: always)."""
    last = [time.monotonic()]

    def due() -> bool:
        now = time.monotonic()
        if now - last[0] >= seconds:
            last[0] = now
            return True
        return False

    return due


class ValidationCallback(keras.callbacks.Callback):
    """Runs `evaluator` every `valid_secs` and when training ends, and its cheap `frequent` scalars every
    `summary_secs`; logs, keeps the best checkpoint, warns and stops (see the module's docstring)."""

    def __init__(self, train_dir: str, manager: tf.train.CheckpointManager, step, writer: tf.summary.SummaryWriter,
                 evaluator: Evaluator, valid_secs: float, summary_secs: float, stop_patience: int = 0,
                 print_fn: Callable[[str], None] = print):
        super().__init__()
        self.train_dir, self.step, self.writer, self.evaluator = train_dir, step, writer, evaluator
        self.valid_secs, self.summary_secs, self.print_fn = valid_secs, summary_secs, print_fn
        self.best_manager = checkpoints.best_manager(manager, train_dir)
        self.watch = Watch(evaluator.metric, evaluator.higher_is_better, stop_patience)
        record = load_record(train_dir)
        if record is not None and record.get("metric") == evaluator.metric:
            self.watch.restore(record)
            if self.watch.best is not None and not self.best_manager.latest_checkpoint:
                log.warning("%s names a best checkpoint at step %d but %s holds none: the next evaluation's "
                            "weights are kept instead.", VALIDATION_FILE, self.watch.best["step"],
                            os.path.join(train_dir, checkpoints.BEST_DIR))
                self.watch.best = None
        self.evaluated_step = None
        self.valid_due = self.summary_due = None

    def on_train_begin(self, logs=None):
        self.valid_due, self.summary_due = _every(self.valid_secs), _every(self.summary_secs)

    def on_train_batch_end(self, batch, logs=None):
        if self.valid_due():
            self.evaluate()
        elif self.summary_due():
            self.write(self.evaluator.frequent())

    def on_train_end(self, logs=None):
        if self.evaluated_step != int(self.step.numpy()):
            self.evaluate()

    def write(self, values: dict[str, float]) -> None:
        if not values:
            return
        with self.writer.as_default(step=int(self.step.numpy())):
            for name, value in values.items():
                tf.summary.scalar(f"valid/{name}", value)
        self.writer.flush()

    def evaluate(self) -> Verdict:
        step = int(self.step.numpy())
        result = self.evaluator.evaluate()
        self.evaluated_step = step
        self.write(result.values)
        value = result.values[self.evaluator.metric]
        extras = {k: v for k, v in result.values.items() if k != self.evaluator.metric}
        verdict = self.watch.add(step, value, result.collapse, **extras)
        if verdict.best:
            self.best_manager.save(checkpoint_number=step)
        write_text_atomically(os.path.join(self.train_dir, VALIDATION_FILE),
                              json.dumps(self.watch.state(), indent=1) + "\n")
        self.print_fn(self.describe(step, result, verdict))
        if verdict.warning:
            log.warning("%s in %s (export them with --infer_ckpt best).", verdict.warning,
                        os.path.join(self.train_dir, checkpoints.BEST_DIR))
        if verdict.stop:
            self.print_fn(f"Stopping: {self.watch.streak} bad evaluations in a row (--train_stop_patience "
                          f"{self.watch.stop_patience}); the best checkpoint is "
                          f"{self.best_manager.latest_checkpoint}.")
            self.model.stop_training = True
        return verdict

    def describe(self, step: int, result: Evaluation, verdict: Verdict) -> str:
        metric = self.evaluator.metric
        best = self.watch.best
        parts = [f"validation at step {step}: {metric} {result.values[metric]:.4g}"]
        parts.append("(best so far, kept)" if verdict.best else
                     f"(best {best['value']:.4g} at step {best['step']})" if best else "")
        others = [f"{k} {v:.4g}" for k, v in result.values.items() if k != metric]
        return "  ".join([" ".join(p for p in parts if p)] + others)


def _numpy(x) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(x), np.float32)


class GanEvaluator:
    """The GANs' validation (see the module's docstring). `valid` and `train` are fixed real slices
    [n, slice_len, channels] (wavegan/audio/split.py: fixed_slices) with their class indices (or None)."""

    metric = "frechet_distance"
    higher_is_better = False

    def __init__(self, generator: keras.Model, discriminator: keras.Model, kind, run: RunConfig,
                 valid: tuple[np.ndarray, np.ndarray | None], train: tuple[np.ndarray, np.ndarray | None],
                 tools: Tools, n: int, seed: int = 0):
        self.generator, self.discriminator, self.kind = generator, discriminator, kind
        self.features = tools.features or logmel_space(run.data.sample_rate)
        self.envelope = tools.envelope
        valid_audio, valid_labels = valid
        rng = np.random.default_rng(seed)
        self.latents = rng.uniform(-1.0, 1.0, (n, run.model.latent_dim)).astype(np.float32)
        # Conditional: the generated clips are asked for the held-out set's classes, in its proportions.
        self.labels = None if valid_labels is None else np.resize(np.asarray(valid_labels, np.int32), n)
        self.valid_features = self.features.embed(valid_audio[:, :, 0])
        self.valid_spread = metrics.mean_pairwise_distance(self.valid_features)
        self.critic_valid = self._critic_ready(valid_audio[:CRITIC_BATCH], valid_labels)
        train_audio, train_labels = train
        self.critic_train = self._critic_ready(train_audio[:CRITIC_BATCH], train_labels)

    def _critic_ready(self, audio: np.ndarray, labels: np.ndarray | None):
        x = audio if self.kind.to_critic_input is None else _numpy(self.kind.to_critic_input(audio))
        return x, None if labels is None else np.asarray(labels[:len(audio)], np.int32)

    def _given(self, labels: np.ndarray | None, start: int, stop: int) -> dict:
        return {} if labels is None else {"labels": labels[start:stop]}

    def critic_mean(self, x: np.ndarray, labels: np.ndarray | None) -> float:
        outputs = [_numpy(self.discriminator(x[i:i + CRITIC_BATCH], training=False,
                                             **self._given(labels, i, i + CRITIC_BATCH)))
                   for i in range(0, len(x), CRITIC_BATCH)]
        return float(np.mean(np.concatenate([o.reshape(-1) for o in outputs])))

    def generated(self, count: int) -> np.ndarray:
        """What the generator makes of the first `count` fixed latents (its raw output: what the critic sees)."""
        return np.concatenate([_numpy(self.generator(self.latents[i:min(count, i + GENERATE_BATCH)], training=False,
                                                     **self._given(self.labels, i, min(count, i + GENERATE_BATCH))))
                               for i in range(0, count, GENERATE_BATCH)])

    def frequent(self, fake: np.ndarray | None = None) -> dict[str, float]:
        """The critic's mean output on held-out real, training real and generated slices, and the gap."""
        n = len(self.critic_valid[0])
        fake = self.generated(n) if fake is None else fake[:n]
        values = {"D_x_valid": self.critic_mean(*self.critic_valid),
                  "D_x_train": self.critic_mean(*self.critic_train),
                  "D_G_z": self.critic_mean(fake, self._given(self.labels, 0, n).get("labels"))}
        values["D_gap"] = values["D_x_train"] - values["D_x_valid"]
        return values

    def evaluate(self) -> Evaluation:
        raw = self.generated(len(self.latents))
        renderer = self.kind.renderer
        clips = np.concatenate([_numpy(renderer.to_audio(raw[i:i + GENERATE_BATCH], *renderer.defaults))
                                for i in range(0, len(raw), GENERATE_BATCH)])[:, :, 0]
        embedded = self.features.embed(clips)
        values = {self.metric: metrics.frechet_distance(embedded, self.valid_features)}
        values["spread"] = metrics.mean_pairwise_distance(embedded) / max(self.valid_spread, 1e-12)
        reasons = []
        if values["spread"] < NEAR_IDENTICAL:
            reasons.append(f"near-identical clips: their spread is {values['spread']:.3f} of the held-out clips'")
        if self.features.classify is not None:
            predicted = np.argmax(self.features.classify(clips), axis=1)
            values["top_class_share"] = float(np.max(np.bincount(predicted)) / len(predicted))
            if values["top_class_share"] >= ONE_CLASS_SHARE:
                reasons.append(f"{values['top_class_share']:.0%} of them in one class under the classifier")
        if self.envelope is not None:
            values["artifact_share"] = float(np.mean(metrics.artifact_share(clips, self.envelope)))
        values.update(self.frequent(raw))
        return Evaluation(values, "; ".join(reasons) or None)


class HeldOutLoss:
    """A likelihood baseline's validation: `loss(targets, model(inputs))` averaged over the held-out batches
    `batches()` yields ((inputs, targets) pairs, the same ones each time), times `scale`."""

    higher_is_better = False

    def __init__(self, model: keras.Model, batches: Callable[[], Iterable], loss: Callable, metric: str,
                 scale: float = 1.0):
        self.model, self.batches, self.loss, self.metric, self.scale = model, batches, loss, metric, scale

    def frequent(self) -> dict[str, float]:
        return {}

    def evaluate(self) -> Evaluation:
        total, count = 0.0, 0
        for inputs, targets in self.batches():
            size = int(np.shape(targets)[0])
            total += float(_numpy(self.loss(targets, self.model(inputs, training=False)))) * size
            count += size
        if not count:
            raise RuntimeError("the held-out data yielded no batch")
        return Evaluation({self.metric: total / count * self.scale})


def gan_callback(train_dir: str, run: RunConfig, generator: keras.Model, discriminator: keras.Model, kind,
                 train_files, valid_files, manager: tf.train.CheckpointManager, step,
                 writer: tf.summary.SummaryWriter, tools: Tools | None,
                 print_fn: Callable[[str], None] = print) -> ValidationCallback:
    """The GANs' ValidationCallback: fixed held-out and training slices read once, here."""
    from wavegan.audio import labels as labelling
    from wavegan.audio.split import fixed_slices
    from wavegan.errors import UserError

    def slices_of(files, n):
        audio, sources = fixed_slices(files, run.data, n)
        ids = labelling.file_label_ids(files, run.data)[sources] if run.data.classes else None
        return audio, ids

    valid = slices_of(valid_files, run.train.valid_n)
    if len(valid[0]) < 2:
        raise UserError(f"The {len(valid_files)} held-out files yield {len(valid[0])} slice(s) of {run.data.slice_len} "
                        "samples, and a distance between sets needs two: hold out more files (or pass "
                        "--data_first_slice --data_pad_end for clips shorter than a slice).")
    tools = tools or Tools()
    features = tools.features or logmel_space(run.data.sample_rate)
    print_fn(f"Validating on {len(valid[0])} slices of {len(valid_files)} held-out files every "
             f"{run.train.valid_secs} s: Fréchet distance of {run.train.valid_n} generated clips in {features.name}.")
    evaluator = GanEvaluator(generator, discriminator, kind, run, valid, slices_of(train_files, CRITIC_BATCH),
                             dataclasses.replace(tools, features=features), run.train.valid_n)
    return ValidationCallback(train_dir, manager, step, writer, evaluator, run.train.valid_secs,
                              run.train.summary_secs, run.train.stop_patience, print_fn)
