"""Input pipeline speed: decoded 16384-sample slices per second and peak memory.

    python bench/pipeline.py --slices 2000

Builds its own folders (in a temp dir): short clips (1 s, like SC09) as 16-bit WAV, and long files
(30 s) as 16-bit WAV, 24-bit WAV, FLAC and MP3, all at 44.1 kHz stereo except the short clips (16 kHz
mono); then reads --slices slices from each with 1 and AUTOTUNE parallel decoders, without and with the
in-memory cache (cached: the second pass). Training consumes 5 batches per iteration: at the paper's
33 s per CPU iteration that is about 10 slices/s at batch 64.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import time

import common
import numpy as np
import soundfile
import tensorflow as tf

from wavegan import data
from wavegan.config import DataConfig


def write_folder(folder: str, n: int, seconds: float, rate: int, channels: int, fmt: str, subtype: str,
                 ext: str) -> None:
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        audio = (0.3 * rng.standard_normal((int(seconds * rate), channels))).clip(-1, 1).astype(np.float32)
        soundfile.write(os.path.join(folder, f"f{i:04d}.{ext}"), audio, rate, format=fmt, subtype=subtype)


def slices_per_second(cfg: DataConfig, slices: int, parallel: int) -> float:
    files = data.prepare_files(cfg, batch_size=1)
    dataset = data.example_dataset(files, cfg, num_parallel_calls=parallel).take(slices)
    if cfg.cache:  # time the second pass over the data, after the cache is full
        n_first = int(data.expected_slices_per_epoch([f.frames_at(cfg.sample_rate) for f in files], cfg)) + 1
        iterator = iter(data.example_dataset(files, cfg, num_parallel_calls=parallel).take(n_first + slices))
        for _ in range(n_first):
            next(iterator)
        start = time.perf_counter()
        for _ in range(slices):
            next(iterator)
        return slices / (time.perf_counter() - start)
    start = time.perf_counter()
    for _ in dataset:
        pass
    return slices / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=2000)
    args = parser.parse_args()
    rows = ["| files | decoder calls | cache | slices / s | peak RSS (MB) |", "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as root:
        sets = {
            "400 × 1 s WAV 16-bit 16 kHz mono": (400, 1.0, 16000, 1, "WAV", "PCM_16", "wav", True),
            "12 × 30 s WAV 16-bit 44.1 kHz stereo": (12, 30.0, 44100, 2, "WAV", "PCM_16", "wav", False),
            "12 × 30 s WAV 24-bit 44.1 kHz stereo": (12, 30.0, 44100, 2, "WAV", "PCM_24", "wav", False),
            "12 × 30 s FLAC 44.1 kHz stereo": (12, 30.0, 44100, 2, "FLAC", "PCM_16", "flac", False),
            "12 × 30 s MP3 44.1 kHz stereo": (12, 30.0, 44100, 2, "MP3", "MPEG_LAYER_III", "mp3", False),
        }
        for name, (n, seconds, rate, channels, fmt, subtype, ext, short) in sets.items():
            folder = os.path.join(root, name.split()[2] + name.split()[3] + str(n))
            write_folder(folder, n, seconds, rate, channels, fmt, subtype, ext)
            cfg = DataConfig(data_dir=folder, first_slice=short, pad_end=short).resolved()
            for parallel, label in ((1, "1"), (tf.data.AUTOTUNE, "AUTOTUNE")):
                for cache in ("", "memory"):
                    rate_ = slices_per_second(dataclasses.replace(cfg, cache=cache), args.slices, parallel)
                    rows.append(f"| {name} | {label} | {cache or 'off'} | {rate_:.0f} | {common.peak_rss_mb():.0f} |")
    common.record("Input pipeline", rows, "Training needs 5 × batch slices per iteration: 320 at batch 64 "
                  "(about 10 slices/s at the paper's 33 s CPU iteration, a few hundred per second on a GPU).")


if __name__ == "__main__":
    main()
