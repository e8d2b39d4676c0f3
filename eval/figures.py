"""The figures of docs/results.md: Inception score against iterations, real against generated spectrograms.

    python -m eval.figures --runs runs/digits --samples docs/samples --real_dir data/digits/train --out docs

Reads the `incept` logs of each run (`<run>.incept.log`: "step N: Inception score M ± S"), or with
--curve_csv a table of (run, step, score) such as docs/is_curve.csv, and the WAVs in --samples/<run>/;
writes `is_curve.png` and `spectrograms.png` (matplotlib).
"""

from __future__ import annotations

import argparse
import csv
import os
import re

import numpy as np
import soundfile as sf
from matplotlib.figure import Figure

from wavegan.audio.files import find_audio_files

RUNS = {"wavegan_ps2": ("WaveGAN, phase shuffle 2", "tab:blue"),
        "wavegan_ps0": ("WaveGAN, no phase shuffle", "tab:orange"),
        "specgan": ("SpecGAN", "tab:green")}
INCEPT_LINE = re.compile(r"^step (\d+): Inception score ([0-9.]+) ± ([0-9.]+)")
SAMPLE_RATE = 16000
N_FFT, HOP = 256, 128


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


def curves_from_csv(path: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """run → (steps, scores) from a `run,step,score` table ('#' lines are comments)."""
    with open(path) as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    curves = {}
    for run in dict.fromkeys(r["run"] for r in rows):
        points = sorted((int(r["step"]), float(r["score"])) for r in rows if r["run"] == run)
        curves[run] = (np.array([p[0] for p in points]), np.array([p[1] for p in points]))
    return curves


def is_curve_figure(curves: dict[str, tuple[np.ndarray, np.ndarray]], title: str) -> Figure:
    figure = Figure(figsize=(8, 4.5), dpi=100, layout="constrained")
    ax = figure.add_subplot()
    for name, (steps, scores) in curves.items():
        label, color = RUNS.get(name, (name, None))
        ax.plot(steps, scores, marker="o", markersize=4, color=color, label=label)
    ax.set_xlabel("generator iterations")
    ax.set_ylabel("Inception score")
    ax.set_xlim(0, None)
    ax.set_ylim(0, max(float(s.max()) for _, s in curves.values()) * 1.15)
    ax.axhline(1.0, color="grey", linewidth=0.8, linestyle=":", label="1.0: every clip in one class")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title(title)
    return figure


def log_spectrogram(clip: np.ndarray, n_fft: int = N_FFT, hop: int = HOP) -> np.ndarray:
    """Magnitude in dB [frequency (low first), time] of a mono clip, padded or cut to 16384 samples."""
    clip = np.pad(clip[:16384], (0, max(0, 16384 - len(clip))))
    frames = np.lib.stride_tricks.sliding_window_view(clip, n_fft)[::hop] * np.hanning(n_fft)
    return 20.0 * np.log10(np.abs(np.fft.rfft(frames, axis=-1)).T + 1e-5)


def spectrogram_figure(rows: dict[str, list[np.ndarray]], title: str, floor_db: float = -80.0) -> Figure:
    """A grid of log-magnitude spectrograms, one row per set, one shared dB scale with a colour bar."""
    tiles = {name: [log_spectrogram(c) for c in clips] for name, clips in rows.items()}
    top_db = max(float(t.max()) for row in tiles.values() for t in row)
    columns = max(len(row) for row in tiles.values())
    figure = Figure(figsize=(2.0 * columns + 1.5, 1.9 * len(rows) + 0.8), dpi=100, layout="constrained")
    axes = figure.subplots(len(rows), columns, sharex=True, sharey=True, squeeze=False)
    extent = (0.0, 16384 / SAMPLE_RATE, 0.0, SAMPLE_RATE / 2000.0)
    image = None
    for i, (name, row) in enumerate(tiles.items()):
        for j in range(columns):
            ax = axes[i][j]
            if j < len(row):
                image = ax.imshow(row[j], origin="lower", aspect="auto", extent=extent, cmap="magma",
                                  vmin=top_db + floor_db, vmax=top_db)
            else:
                ax.set_axis_off()
            if i == 0:
                ax.set_title(f"clip {j + 1}", fontsize=9)
            if j == 0:
                ax.set_ylabel(f"{name}\nfrequency (kHz)", fontsize=9)
            if i == len(rows) - 1:
                ax.set_xlabel("time (s)", fontsize=9)
    figure.colorbar(image, ax=axes, label="magnitude (dB)", shrink=0.8)
    figure.suptitle(title)
    return figure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--runs", help="folder with <run>.incept.log files")
    source.add_argument("--curve_csv", help="a run,step,score table instead of the logs (docs/is_curve.csv)")
    parser.add_argument("--samples", required=True, help="folder with <run>/ subfolders of generated WAVs")
    parser.add_argument("--real_dir", help="real clips for the first row (left out when not given)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--columns", type=int, default=6)
    args = parser.parse_args()

    if args.curve_csv:
        curves = curves_from_csv(args.curve_csv)
    else:
        curves = {name: incept_curve(os.path.join(args.runs, f"{name}.incept.log")) for name in RUNS
                  if os.path.exists(os.path.join(args.runs, f"{name}.incept.log"))}
    is_curve_figure(curves, "Inception score on spoken digits during training").savefig(
        os.path.join(args.out, "is_curve.png"))
    for name, (steps, scores) in curves.items():
        print(f"{name}: " + ", ".join(f"{s}: {v:.2f}" for s, v in zip(steps, scores)))

    rows = {}
    if args.real_dir:
        real_paths = find_audio_files(args.real_dir, "--real_dir")
        rng = np.random.default_rng(0)
        rows["real"] = [sf.read(p, dtype="float32")[0] for p in rng.choice(real_paths, args.columns, replace=False)]
    for name in RUNS:
        paths = sorted(find_audio_files(os.path.join(args.samples, name), "--samples"))[:args.columns]
        rows[RUNS[name][0]] = [sf.read(p, dtype="float32")[0] for p in paths]
    spectrogram_figure(rows, "Log-magnitude spectrograms, real and generated (16 kHz, 1.02 s)").savefig(
        os.path.join(args.out, "spectrograms.png"))
    print(f"wrote {args.out}/is_curve.png and {args.out}/spectrograms.png")


if __name__ == "__main__":
    main()
