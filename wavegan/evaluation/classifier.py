"""The SC09-style digit classifier (reference §9.2) as a Keras model, its data loading and training.

log-mel [128 × 128] → batch norm over mel bins → conv 5×5 (128) ReLU → max-pool 2×2 → 3 × [batch norm →
conv 5×5 (128) ReLU → max-pool 2×2] → flatten → batch norm → dense logits: five batch-norm layers, as the
original (its first block's batch norm is the one on the log-mel input). `embed` gives the penultimate
features (for the Fréchet distance).
"""

from __future__ import annotations

import os
from typing import Callable, Sequence

import keras
import numpy as np
import soundfile
from keras import layers, ops

from wavegan.audio.features import CLIP_LEN, fix_length, log_mel
from wavegan.audio.files import find_audio_files, reconcile_channels, resample
from wavegan.errors import UserError

BN_MOMENTUM = 0.9
DIGITS = ("Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine")


@keras.saving.register_keras_serializable(package="wavegan_eval")
class LogMel(keras.layers.Layer):
    """The classifier's input features: 1024-sample frames every 128 → [batch, 128, 128] (reference §9.2)."""

    def __init__(self, frame_len: int = 1024, **kwargs):
        # float32 whatever the global policy: the STFT has no bfloat16 kernel, and these are fixed features.
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.frame_len = frame_len

    def call(self, audio):
        return ops.stop_gradient(log_mel(audio, self.frame_len))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 128, 128)

    def get_config(self):
        return {**super().get_config(), "frame_len": self.frame_len}


@keras.saving.register_keras_serializable(package="wavegan_eval")
class DigitClassifier(keras.Model):
    """audio [batch, 16384] → logits [batch, len(labels)]."""

    def __init__(self, labels: Sequence[str] = DIGITS, filters: int = 128, **kwargs):
        super().__init__(**kwargs)
        self.labels, self.filters = list(labels), filters
        self.features = LogMel()
        # Momentum 0.9, not TF1's 0.99: the original trained 103k steps, a CPU run a few hundred, and
        # with 0.99 the moving statistics used at inference would still sit near their initial values.
        self.input_bn = layers.BatchNormalization(momentum=BN_MOMENTUM, name="input_bn")
        # Block 0 has no batch norm of its own: input_bn, on the log-mel input, is it (reference §9.2).
        self.blocks = [keras.Sequential(([layers.BatchNormalization(momentum=BN_MOMENTUM)] if i > 0 else [])
                                        + [layers.Conv2D(filters, 5, padding="same", activation="relu"),
                                           layers.MaxPooling2D(2)], name=f"block_{i}") for i in range(4)]
        self.flatten = layers.Flatten()
        self.embed_bn = layers.BatchNormalization(momentum=BN_MOMENTUM, name="embed_bn")
        self.logits = layers.Dense(len(self.labels), name="logits")

    def embed(self, audio, training=False):
        x = self.input_bn(self.features(audio), training=training)[..., None]
        for block in self.blocks:
            x = block(x, training=training)
        return self.embed_bn(self.flatten(x), training=training)

    def call(self, audio, training=False):
        return self.logits(self.embed(audio, training=training))

    def predict_proba(self, audio: np.ndarray, batch_size: int = 100) -> np.ndarray:
        return np.concatenate([ops.convert_to_numpy(ops.softmax(self(audio[i:i + batch_size])))
                               for i in range(0, len(audio), batch_size)])

    def embeddings(self, audio: np.ndarray, batch_size: int = 100) -> np.ndarray:
        return np.concatenate([ops.convert_to_numpy(self.embed(audio[i:i + batch_size]))
                               for i in range(0, len(audio), batch_size)])

    def get_config(self):
        return {**super().get_config(), "labels": self.labels, "filters": self.filters}


def label_of(path: str, labels: Sequence[str]) -> int | None:
    """A file's label from its name (`Seven_….wav`, as SC09) or else its folder name; None if neither."""
    candidates = [os.path.basename(path).split("_")[0], os.path.basename(os.path.dirname(path))]
    lowered = [label.lower() for label in labels]
    for candidate in candidates:
        if candidate.lower() in lowered:
            return lowered.index(candidate.lower())
    return None


def load_clips(paths: Sequence[str], sample_rate: int = 16000,
               report: Callable[[str], None] | None = None) -> np.ndarray:
    """WAVs → float32 [n, 16384] mono at 16 kHz, truncated or zero-padded (the original's --fix_length).

    The original's score.py refused anything but 16 kHz mono 16384-sample files unless --fix_length;
    here they are converted, and `report` (if given) gets one sentence saying how many and how.
    """
    clips = np.zeros((len(paths), CLIP_LEN), np.float32)
    counts = {"resampled": 0, "mixed down to mono": 0, "zero-padded": 0, "truncated": 0}
    converted = 0
    for i, path in enumerate(paths):
        audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
        changes = [rate != sample_rate, audio.shape[1] != 1]
        audio = resample(reconcile_channels(audio, 1), rate, sample_rate)[:, 0]
        changes += [len(audio) < CLIP_LEN, len(audio) > CLIP_LEN]
        for name, changed in zip(counts, changes):
            counts[name] += changed
        converted += any(changes)
        clips[i] = fix_length(audio)
    if report is not None and converted:
        how = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
        report(f"Converted {converted} of {len(paths)} files to {sample_rate} Hz mono {CLIP_LEN}-sample clips "
               f"({how}).")
    return clips


def load_labelled(folder: str, labels: Sequence[str] = DIGITS) -> tuple[np.ndarray, np.ndarray]:
    paths = [p for p in find_audio_files(folder) if label_of(p, labels) is not None]
    if not paths:
        raise UserError(f"No file under {folder} is named after a label ({', '.join(labels)}) or sits in a "
                        "folder named after one.")
    return load_clips(paths), np.array([label_of(p, labels) for p in paths])


def train_classifier(train_dir: str, valid_dir: str, out_path: str, epochs: int = 20, batch_size: int = 64,
                     filters: int = 128, learning_rate: float = 1e-3, seed: int = 0,
                     labels: Sequence[str] = DIGITS, verbose: int = 2) -> float:
    """Trains on train_dir, keeps the best validation accuracy in out_path (.keras); returns that accuracy."""
    keras.utils.set_random_seed(seed)
    x_train, y_train = load_labelled(train_dir, labels)
    x_valid, y_valid = load_labelled(valid_dir, labels)
    model = DigitClassifier(labels, filters)
    # Adam instead of the original's plain SGD at 1e-4 (103k steps on a GPU): it converges in minutes on a CPU.
    model.compile(keras.optimizers.Adam(learning_rate), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    best = keras.callbacks.ModelCheckpoint(out_path, monitor="val_accuracy", save_best_only=True, mode="max")
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_data=(x_valid, y_valid),
                        callbacks=[best], verbose=verbose, shuffle=True)
    accuracy = float(max(history.history["val_accuracy"]))
    print(f"best validation accuracy {accuracy:.4f} ({len(x_valid)} clips, chance {1 / len(labels):.2f}); "
          f"saved {out_path}")
    return accuracy


def load_classifier(path: str) -> DigitClassifier:
    if not path or not os.path.exists(path):
        raise UserError(f"No classifier at {path!r}: train one with `python -m eval.train_classifier`.")
    return keras.saving.load_model(path)
