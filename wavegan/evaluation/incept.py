"""The incept mode (reference §1.1): score every new checkpoint on fixed latents, keep the best generator.

This is the paper's early stopping: `train_dir/incept/` gets `incept_mean` / `incept_std` summaries, the
fixed latents (`z.npy`), and the generator of the best Inception score so far as the checkpoint
`best_score-<step>` (with `best.json`), loadable by `generate --generate_from train/incept/best_score-<step>`.
A label-conditional run's fixed latents are asked for the classes in turn, and the follower also logs
`accuracy`: the share of clips the classifier puts in the class they were generated for. It warns once, as
training's validation does (wavegan/train/validation.py's `Watch`), when the score has stayed below 1/1.5 of
its best for 3 checkpoints, or when the clips collapse into one class after having spread over several.
"""

from __future__ import annotations

import glob
import json
import os
from typing import Callable

import numpy as np
import tensorflow as tf

from wavegan import metrics
from wavegan.evaluation.classifier import load_classifier
from wavegan.train import checkpoints, validation
from wavegan.errors import UserError
from wavegan.train.kind import GanKind
from wavegan.audio.labels import cycled_labels
from wavegan.serve.preview import open_follower

INCEPT_DIR = "incept"


def generated_clips(generator, kind: GanKind, latents: np.ndarray, batch: int = 100,
                    labels: np.ndarray | None = None) -> np.ndarray:
    """Channel 0 of the generated audio as float (not quantised, as the original), [n, slice_len]."""
    def given(i):
        return {} if labels is None else {"labels": labels[i:i + batch]}

    out = [np.asarray(kind.renderer.to_audio(generator(latents[i:i + batch], training=False, **given(i)),
                                             *kind.renderer.defaults))[:, :, 0] for i in range(0, len(latents), batch)]
    return np.concatenate(out)


def run_incept(train_dir: str, kind: GanKind, classifier_path: str, n: int = 5000, k: int = 10,
               poll_secs: float = 1.0, once: bool = False, print_fn: Callable[[str], None] = print) -> None:
    if n < k or n % k:
        raise UserError(f"--incept_n ({n}) must be a multiple of --incept_k ({k}).")
    classifier = load_classifier(classifier_path)
    run, incept_dir, latents, generator, writer = open_follower(train_dir, kind, INCEPT_DIR, n)
    if run.data.slice_len != 16384:
        raise UserError("incept scores 16384-sample clips (the classifier's input); this run makes "
                        f"{run.data.slice_len}.")
    labels = asked = None
    if run.data.classes:
        labels = cycled_labels(len(latents), len(run.data.classes))
        try:
            asked = metrics.classifier_indices(run.data.classes, classifier.labels)[labels]
        except ValueError:  # classes the classifier does not know: the Inception score only
            asked = None
    best_path = os.path.join(incept_dir, "best.json")
    best = json.load(open(best_path)) if os.path.exists(best_path) else {"step": None, "incept_mean": 0.0}
    watch = validation.Watch("Inception score", higher_is_better=True)
    if best["step"] is not None:
        watch.best = {"step": best["step"], "value": best["incept_mean"]}

    def score(latest: str) -> None:
        nonlocal best
        checkpoints.restore_generator(generator, latest)
        step = checkpoints.checkpoint_step(latest)
        probs = classifier.predict_proba(generated_clips(generator, kind, latents, labels=labels))
        mean, std = metrics.inception_score(probs, k)
        top_share = float(np.max(np.bincount(probs.argmax(axis=1))) / len(probs))
        one_class = (f"{top_share:.0%} of them in one class under the classifier"
                     if top_share >= validation.ONE_CLASS_SHARE else None)
        verdict = watch.add(step, mean, one_class)
        with writer.as_default(step=step):
            tf.summary.scalar("incept_mean", mean)
            tf.summary.scalar("incept_std", std)
            tf.summary.scalar("top_class_share", top_share)
            if asked is not None:
                tf.summary.scalar("accuracy", metrics.label_accuracy(probs, asked))
        writer.flush()
        line = f"step {step}: Inception score {mean:.4f} ± {std:.4f}"
        if asked is not None:
            line += f", accuracy {metrics.label_accuracy(probs, asked):.4f}"
        if mean > best["incept_mean"]:
            keep_best(generator, incept_dir, step)
            best = {"step": step, "incept_mean": mean, "incept_std": std}
            with open(best_path + ".tmp", "w") as f:
                json.dump(best, f)
            os.replace(best_path + ".tmp", best_path)
            line += " (best so far, kept)"
        print_fn(line)
        if verdict.warning:
            print_fn(f"WARNING: {verdict.warning} in {incept_dir} (best_score-<step>).")

    checkpoints.watch(train_dir, score, poll_secs, once, print_fn)


def keep_best(generator, incept_dir: str, step: int) -> str:
    """Writes the generator as best_score-<step> and removes the previous best (the original kept one)."""
    previous = glob.glob(os.path.join(incept_dir, "best_score-*"))
    checkpoint = checkpoints.model_checkpoint(generator=generator)
    _ = checkpoint.save_counter  # write() leaves it out unless it exists, and restore() expects it
    prefix = checkpoint.write(os.path.join(incept_dir, f"best_score-{step}"))
    for path in previous:
        if not path.startswith(prefix + "."):
            os.remove(path)
    return prefix
