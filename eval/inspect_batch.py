"""Writes what the trainer of a run sees, one iteration's real data, to WAV files and scores it.

    python -m eval.inspect_batch --train_dir runs/digits/wavegan_ps2 --out_dir /tmp/batch

A check for "the model does not learn": the slices come from the same pipeline and flags the run was
trained with (its config.json), so if they sound wrong or score far below the real corpus, the data,
not the GAN, is the problem. Prints their RMS, peak, the share of silent slices and the classifier's
Inception score and label histogram.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import soundfile as sf

from wavegan import metrics
from wavegan.evaluation.classifier import load_classifier
from wavegan.audio import pipeline as data
from wavegan.config import load_run_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train_dir", required=True)
    parser.add_argument("--out_dir", required=True)
    parser.add_argument("--classifier", default=os.path.join(os.path.dirname(__file__), "digits_classifier.keras"))
    parser.add_argument("--iterations", type=int, default=4, help="iterations' worth of real data to take")
    args = parser.parse_args()

    run = load_run_config(args.train_dir)
    files = data.prepare_files(run.data, run.train.batch_size)
    dataset = data.make_train_dataset(files, run.data, run.train.batch_size, run.model.disc_nupdates)
    batches = [element for element, _ in zip(dataset.as_numpy_iterator(), range(args.iterations))]
    clips = np.concatenate([b.reshape((-1,) + b.shape[2:]) for b in batches])  # every critic step's slices
    os.makedirs(args.out_dir, exist_ok=True)
    for i, clip in enumerate(clips[:16]):
        sf.write(os.path.join(args.out_dir, f"{i:03d}.wav"), clip, run.data.sample_rate, subtype="PCM_16")
    mono = clips[:, :, 0]
    rms = np.sqrt(np.mean(mono ** 2, axis=1))
    print(f"{len(clips)} slices of shape {clips.shape[1:]} ({args.iterations} iterations × batch "
          f"{run.train.batch_size} × {run.model.disc_nupdates} critic steps); wrote 16 to {args.out_dir}")
    print(f"RMS mean {rms.mean():.4f}, peak |x| {np.abs(mono).max():.3f}, silent (RMS < 1e-3) {np.mean(rms < 1e-3):.1%}")
    if run.data.slice_len == 16384 and os.path.exists(args.classifier):
        probs = load_classifier(args.classifier).predict_proba(mono)
        mean, std = metrics.inception_score(probs, k=min(10, len(mono) // 10 or 1))
        print(f"Inception score {mean:.3f} ± {std:.3f}; predicted labels {np.bincount(probs.argmax(1), minlength=10).tolist()}")


if __name__ == "__main__":
    main()
