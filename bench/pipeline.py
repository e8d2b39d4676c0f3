"""Input pipeline speed: decoded 16384-sample slices per second (wall and per CPU-second) and peak memory.

    python bench/pipeline.py --slices 2000

Builds its own folders (in a temp dir): short clips (1 s, like SC09) as 16-bit WAV, and long files
(30 s) as 16-bit WAV, 24-bit WAV, FLAC and MP3, all at 44.1 kHz stereo except the short clips (16 kHz
mono). For each it reads --slices slices in the steady state (after the 4096-slice shuffle buffer has
filled), in batches of --batch, from: the Python decoders in tf.data's threads, the prepared corpus
(decoded once beforehand in one process per core, then read natively), and TensorFlow's native WAV
reader where it applies. "per CPU-second" divides by the CPU time of this process (and any live child
process), which a busy machine disturbs less than the wall clock.
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

from wavegan.audio import pipeline as data
from wavegan.config import DataConfig


def write_folder(folder: str, n: int, seconds: float, rate: int, channels: int, fmt: str, subtype: str,
                 ext: str) -> None:
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        audio = (0.3 * rng.standard_normal((int(seconds * rate), channels))).clip(-1, 1).astype(np.float32)
        soundfile.write(os.path.join(folder, f"f{i:04d}.{ext}"), audio, rate, format=fmt, subtype=subtype)


def slices_per_second(cfg: DataConfig, slices: int, batch: int) -> tuple[float, float]:
    files = data.prepare_files(cfg, batch_size=batch)
    iterator = iter(data.batch_dataset(data.example_dataset(files, cfg), batch))
    for _ in range(data.SHUFFLE_BUFFER_EXAMPLES // batch + 2):  # fill the shuffle buffer (and any cache)
        next(iterator)
    batches = max(1, slices // batch)
    start, cpu = time.perf_counter(), common.tree_cpu_seconds()
    for _ in range(batches):
        next(iterator)
    wall, cpu = time.perf_counter() - start, common.tree_cpu_seconds() - cpu
    return batches * batch / wall, batches * batch / max(cpu, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=64, help="slices per batch, as training takes them")
    parser.add_argument("--decoders_only", action="store_true",
                        help="only the Python decoders (runs against an older checkout, for before/after)")
    parser.add_argument("--no_record", action="store_true", help="print only")
    parser.add_argument("--sets", nargs="+", default=None, help="only the sets whose name contains one of these")
    args = parser.parse_args()
    rows = ["| files | decoding | slices / s | slices / CPU-second | peak RSS (MB) |", "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as root:
        sets = {
            "400 × 1 s WAV 16-bit 16 kHz mono": (400, 1.0, 16000, 1, "WAV", "PCM_16", "wav", True),
            "12 × 30 s WAV 16-bit 44.1 kHz stereo": (12, 30.0, 44100, 2, "WAV", "PCM_16", "wav", False),
            "12 × 30 s WAV 24-bit 44.1 kHz stereo": (12, 30.0, 44100, 2, "WAV", "PCM_24", "wav", False),
            "12 × 30 s FLAC 44.1 kHz stereo": (12, 30.0, 44100, 2, "FLAC", "PCM_16", "flac", False),
            "12 × 30 s MP3 44.1 kHz stereo": (12, 30.0, 44100, 2, "MP3", "MPEG_LAYER_III", "mp3", False),
        }
        for name, (n, seconds, rate, channels, fmt, subtype, ext, short) in sets.items():
            if args.sets and not any(s in name for s in args.sets):
                continue
            folder = os.path.join(root, name.split()[2] + name.split()[3] + str(n))
            write_folder(folder, n, seconds, rate, channels, fmt, subtype, ext)
            cfg = DataConfig(data_dir=folder, first_slice=short, pad_end=short).resolved()
            variants = {"Python decoders in tf.data's threads": cfg}
            if not args.decoders_only:
                variants["prepared corpus (read natively)"] = dataclasses.replace(cfg, prepared=folder + ".prepared")
            if short and not args.decoders_only:
                variants["--data_fast_wav (TensorFlow's WAV reader)"] = dataclasses.replace(cfg, fast_wav=True)
            for label, variant in variants.items():
                wall, per_cpu = slices_per_second(variant, args.slices, args.batch)
                rows.append(f"| {name} | {label} | {wall:.0f} | {per_cpu:.0f} | {common.peak_rss_mb():.0f} |")
                print(rows[-1], flush=True)
    if args.no_record:
        return
    common.record("Input pipeline", rows, "Steady state (after the shuffle buffer filled). Training needs 5 × batch "
                  "slices per iteration: 320 at batch 64.")


if __name__ == "__main__":
    main()
