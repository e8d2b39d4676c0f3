"""The figures of docs/results.md: Inception score against iterations, real against generated spectrograms.

    python -m eval.figures --runs runs/digits --samples docs/samples --real_dir data/digits/train --out docs

Reads the `incept` logs of each run (`<run>.incept.log`: "step N: Inception score M ± S") and the WAVs in
--samples/<run>/; writes `is_curve.png` and `spectrograms.png`. Dependency-free PNGs (no text): the
captions in docs/results.md give the scales.
"""

from __future__ import annotations

import argparse
import os
import re

import numpy as np
import soundfile as sf
import tensorflow as tf

from wavegan import plots
from wavegan.audio import find_audio_files

RUNS = {"wavegan_ps2": (31, 119, 180), "wavegan_ps0": (255, 127, 14), "specgan": (44, 160, 44)}
INCEPT_LINE = re.compile(r"^step (\d+): Inception score ([0-9.]+) ± ([0-9.]+)")


def incept_curve(log_path: str) -> tuple[np.ndarray, np.ndarray]:
    """(steps, scores) from an incept log, each step once (the last score written for it), sorted."""
    scores = {}
    with open(log_path) as f:
        for line in f:
            match = INCEPT_LINE.match(line.strip())
            if match:
                scores[int(match.group(1))] = float(match.group(2))
    steps = np.array(sorted(scores))
    return steps, np.array([scores[s] for s in steps])


def log_spectrogram(clip: np.ndarray, n_fft: int = 256, hop: int = 128) -> np.ndarray:
    """Log magnitude [frequency (low at the bottom), time] of a mono clip, 16384 samples."""
    clip = np.pad(clip[:16384], (0, max(0, 16384 - len(clip))))
    frames = np.lib.stride_tricks.sliding_window_view(clip, n_fft)[::hop] * np.hanning(n_fft)
    magnitude = np.abs(np.fft.rfft(frames, axis=-1)).T
    return np.log(magnitude + 1e-4)[::-1]


def spectrogram_grid(rows: list[list[np.ndarray]], gap: int = 4) -> np.ndarray:
    """Greyscale image of spectrogram rows (dark = loud), each scaled to the same dB range."""
    tiles = [[log_spectrogram(c) for c in row] for row in rows]
    lo, hi = np.log(1e-4), max(t.max() for row in tiles for t in row)
    h, w = tiles[0][0].shape
    image = np.full((len(rows) * (h + gap) - gap, len(rows[0]) * (w + gap) - gap), 255, np.uint8)
    for i, row in enumerate(tiles):
        for j, tile in enumerate(row):
            image[i * (h + gap):i * (h + gap) + h, j * (w + gap):j * (w + gap) + w] = \
                (255 * (1 - np.clip((tile - lo) / (hi - lo), 0, 1))).astype(np.uint8)
    return np.repeat(image[:, :, None], 3, axis=2)


def write_png(path: str, image: np.ndarray) -> None:
    with open(path, "wb") as f:
        f.write(tf.io.encode_png(image).numpy())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", required=True, help="folder with <run>.incept.log files")
    parser.add_argument("--samples", required=True, help="folder with <run>/ subfolders of generated WAVs")
    parser.add_argument("--real_dir", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--columns", type=int, default=6)
    args = parser.parse_args()

    curves = {name: incept_curve(os.path.join(args.runs, f"{name}.incept.log")) for name in RUNS
              if os.path.exists(os.path.join(args.runs, f"{name}.incept.log"))}
    x_max = max(steps.max() for steps, _ in curves.values()) * 1.05
    y_max = max(10.0 if max(s.max() for _, s in curves.values()) > 5 else 5.0, 1.0)
    image = plots.plot_lines([(steps, scores, RUNS[name]) for name, (steps, scores) in curves.items()],
                             x_max=x_max, y_max=y_max, x_grid=250, y_grid=1)
    write_png(os.path.join(args.out, "is_curve.png"), image)
    for name, (steps, scores) in curves.items():
        print(f"{name}: " + ", ".join(f"{s}: {v:.2f}" for s, v in zip(steps, scores)))

    real_paths = find_audio_files(args.real_dir)
    rng = np.random.default_rng(0)
    real = [sf.read(p, dtype="float32")[0] for p in rng.choice(real_paths, args.columns, replace=False)]
    rows = [real]
    for name in RUNS:
        paths = sorted(find_audio_files(os.path.join(args.samples, name)))[:args.columns]
        rows.append([sf.read(p, dtype="float32")[0] for p in paths])
    write_png(os.path.join(args.out, "spectrograms.png"), spectrogram_grid(rows))
    print(f"wrote {args.out}/is_curve.png and {args.out}/spectrograms.png")


if __name__ == "__main__":
    main()
