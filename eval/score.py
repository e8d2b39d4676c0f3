"""Score audio with the digit classifier: Inception score, label histogram, Fréchet distance, |D|self, |D|train.

    python -m eval.score --classifier eval/digits.keras --audio_dir gen/ --real_dir data/digits/train
    python -m eval.score --classifier eval/digits.keras --model train/ --n 5000 --real_dir data/digits/train

Prints one table and writes a JSON (--json). reference §9.1 and §9.3. A label-conditional --model is asked
for every class in turn (n/classes clips each, same latents seed), and its row gains the accuracy: the
share of clips the classifier puts in the class they were generated for. With --asked_from_names the
same accuracy is computed for --audio_dir folders whose file names carry the class each clip was asked
for (`Seven_00012.wav`, as bench/gpu_kit_unpack.py names a conditional model's clips).
"""

from __future__ import annotations

import argparse
import json
import random
import sys

import numpy as np

from wavegan import metrics
from wavegan.evaluation.classifier import DigitClassifier, load_classifier, load_clips
from eval.features import similarity_features
from wavegan import config
from wavegan.audio.files import find_audio_files
from wavegan.audio.categories import category_or_none
from wavegan.errors import UserError


def sample_files(folder: str, n: int | None, flag: str = "--audio_dir") -> list[str]:
    """Sorted, shuffled with seed 0, first n kept: the original's selection. Errors name `flag`."""
    paths = find_audio_files(folder, flag)
    random.Random(0).shuffle(paths)
    if n is not None:
        if len(paths) < n:
            raise UserError(f"{folder} holds {len(paths)} audio files, fewer than --n {n}.")
        paths = paths[:n]
    return paths


def score_clips(classifier: DigitClassifier, clips: np.ndarray, k: int = 10, real: np.ndarray | None = None,
                real_embeddings: np.ndarray | None = None, real_features: np.ndarray | None = None,
                asked: np.ndarray | None = None) -> dict:
    """Every metric for float clips [n, 16384]; `real` (or its precomputed parts) enables FD and |D|train,
    `asked` (the classifier label each clip was generated for) the accuracy."""
    probs = classifier.predict_proba(clips)
    mean, std = metrics.inception_score(probs, k)
    result = {"n": len(clips), "inception_score": mean, "inception_std": std,
              "label_histogram": dict(zip(classifier.labels, np.bincount(probs.argmax(axis=1),
                                                                         minlength=len(classifier.labels)).tolist()))}
    if asked is not None:
        result["accuracy"] = metrics.label_accuracy(probs, asked)
    features = similarity_features(clips)
    self_nn = metrics.nearest_neighbour_distances(features, features, same_set=True)
    result.update(d_self=float(self_nn.mean()), d_self_std=float(self_nn.std()))
    if real is not None or real_embeddings is not None:
        real_embeddings = classifier.embeddings(real) if real_embeddings is None else real_embeddings
        real_features = similarity_features(real) if real_features is None else real_features
        result["frechet_distance"] = metrics.frechet_distance(classifier.embeddings(clips), real_embeddings)
        train_nn = metrics.nearest_neighbour_distances(features, real_features)
        result.update(d_train=float(train_nn.mean()), d_train_std=float(train_nn.std()))
    return result


def format_table(rows: dict[str, dict]) -> str:
    lines = [f"{'set':24s} {'n':>6s} {'Inception score':>18s} {'Frechet':>9s} {'|D|self':>9s} {'|D|train':>9s}"
             f" {'accuracy':>9s}"]
    for name, r in rows.items():
        fd = f"{r['frechet_distance']:9.2f}" if "frechet_distance" in r else f"{'-':>9s}"
        dt = f"{r['d_train']:9.2f}" if "d_train" in r else f"{'-':>9s}"
        acc = f"{r['accuracy']:9.3f}" if "accuracy" in r else f"{'-':>9s}"
        lines.append(f"{name:24s} {r['n']:6d} {r['inception_score']:9.3f} ± {r['inception_std']:6.3f} {fd} "
                     f"{r['d_self']:9.2f} {dt} {acc}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classifier", required=True, help="the .keras file eval.train_classifier wrote")
    parser.add_argument("--audio_dir", action="append", default=[], help="folder of WAVs to score (repeatable)")
    parser.add_argument("--model", help="train dir, checkpoint or SavedModel to generate from")
    parser.add_argument("--real_dir", help="real data for the Fréchet distance and |D|train")
    parser.add_argument("--n", type=int, default=None, help="clips per set (default: all files; 5000 for --model)")
    parser.add_argument("--k", type=int, default=10, help="splits of the Inception score")
    parser.add_argument("--seed", type=int, default=0, help="latents for --model")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--asked_from_names", action="store_true",
                        help="--audio_dir files are named <class>_...: score the accuracy against that class")
    args = parser.parse_args()
    try:
        classifier = load_classifier(args.classifier)
        real = (load_clips(sample_files(args.real_dir, None, "--real_dir"), report=note(args.real_dir))
                if args.real_dir else None)
        real_parts = ({"real_embeddings": classifier.embeddings(real), "real_features": similarity_features(real)}
                      if real is not None else {})
        rows = {}
        for folder in args.audio_dir:
            paths = sample_files(folder, args.n)
            asked = asked_from_names(paths, classifier.labels) if args.asked_from_names else None
            rows[folder] = score_clips(classifier, load_clips(paths, report=note(folder)), args.k, asked=asked,
                                       **real_parts)
        if args.model:
            clips, asked = generate_clips(args.model, args.n or 5000, args.seed, classifier.labels)
            rows[args.model] = score_clips(classifier, clips, args.k, asked=asked, **real_parts)
        if not rows:
            raise UserError("Nothing to score: pass --audio_dir and/or --model.")
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(format_table(rows))
    for name, r in rows.items():
        print(f"{name}: predicted labels {r['label_histogram']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return 0


def asked_from_names(paths: list[str], classifier_labels) -> np.ndarray:
    """The classifier label index each file's name asks for (the name up to its first '_')."""
    names = [category_or_none(p, "prefix") for p in paths]
    unnamed = [p for p, name in zip(paths, names) if name is None]
    if unnamed:
        raise UserError(f"{unnamed[0]} has no '<class>_' prefix in its name: --asked_from_names needs every "
                        "file named so; drop the flag for this folder.")
    try:
        return metrics.classifier_indices(names, classifier_labels)
    except ValueError as e:
        raise UserError(f"--asked_from_names: {e}; name the files by the classifier's labels.") from None


def note(folder: str):
    """Prints load_clips' conversion report, naming the folder."""
    return lambda sentence: print(f"{folder}: {sentence}")


def generate_clips(source: str, n: int, seed: int, classifier_labels=None) -> tuple[np.ndarray, np.ndarray | None]:
    """n mono float clips from a train dir / checkpoint / SavedModel of either GAN (channel 0), and for a
    conditional model the classifier label each was asked for (classes in turn, n/classes each), else None.
    A train dir / checkpoint of an autoregressive baseline generates with its own algorithm (no labels)."""
    kind = registry_kind(source)
    if kind is not None and kind.clips_for_scoring is not None:
        return kind.clips_for_scoring(source, n, seed), None
    from wavegan.audio.labels import cycled_labels
    from wavegan.serve import generate
    from wavegan.serve.latents import sample_latents

    generator = generate.open_generator(source, generate.gan_of_run)
    latents = sample_latents(n, generator.latent_dim, seed)
    labels = cycled_labels(n, len(generator.classes)) if generator.classes else None
    asked = None
    if labels is not None and classifier_labels is not None:
        try:
            asked = metrics.classifier_indices(generator.classes, classifier_labels)[labels]
        except ValueError as e:
            raise UserError(f"{source} generates classes the classifier cannot judge: {e}.") from e
    clips = [generator.generate_int16(latents[i:i + 100], *(() if labels is None else (labels[i:i + 100],)))[:, :, 0]
             for i in range(0, n, 100)]
    return np.concatenate(clips).astype(np.float32) / 32768.0, asked  # as soundfile decodes 16-bit WAVs


def registry_kind(source: str):
    """The model kind of the run `source` (a train dir or a checkpoint in one) belongs to; None for a
    SavedModel folder or anything without a config.json."""
    return None if config.model_type_of(source) is None else config.kind_of_run(source)


if __name__ == "__main__":
    sys.exit(main())
