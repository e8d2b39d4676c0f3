"""Where the prepared corpus's time goes for long files: CPU per slice of the pipeline cut after each stage.

    python bench/pipeline_stages.py --rounds 3

Builds 12 × 30 s 44.1 kHz stereo 16-bit WAV files, prepares their corpus (16 kHz mono), and times
`data.example_dataset`'s stages for the prepared corpus, cut after: reading (corpus.read, in parallel),
the random offset and framing, and the whole (unbatch, 4096-slice shuffle, batches of 64). Each cut
ends in batches of 64 so that Python's per-element cost stays out of it. Two framings, interleaved
round by round: the pipeline's (`data.frame_audio`: flat samples, parallel) and reference §6.2's literal one
(`samples[start:]` then `tf.signal.frame` along time on [n, channels], in the offset's one thread), the
same slices. Prints CPU-microseconds per slice (this process), the figure a busy machine disturbs least.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import common
import tensorflow as tf
from pipeline import write_folder

from wavegan.audio import corpus
from wavegan.audio import pipeline as data
from wavegan.audio.slicing import expected_slices_per_epoch
from wavegan.config import DataConfig

BATCH = 64


def literal_frames(samples: tf.Tensor, start: tf.Tensor, cfg: DataConfig) -> tf.Tensor:
    """reference §6.2 as written: drop the offset, then frame along time."""
    return tf.signal.frame(samples[start:], cfg.slice_len, cfg.hop, pad_end=cfg.pad_end, axis=0)


def cut(entries: list[str], cfg: DataConfig, stage: str, framing: str) -> tf.data.Dataset:
    """The prepared pipeline up to `stage`, ending in batches of BATCH (files or slices)."""
    paths = tf.data.Dataset.from_tensor_slices(entries).shuffle(len(entries), reshuffle_each_iteration=True)
    files = paths.map(lambda p: corpus.read(p, cfg), num_parallel_calls=tf.data.AUTOTUNE, deterministic=False)
    files = files.repeat()
    if stage == "read":
        return files.map(tf.size).batch(BATCH)
    starts = files.map(lambda samples: (samples, data.random_offset(cfg)))
    if framing == "literal":
        sliced = starts.map(lambda samples, start: literal_frames(samples, start, cfg))
    else:
        sliced = starts.map(lambda samples, start: data.frame_audio(samples, start, cfg),
                            num_parallel_calls=tf.data.AUTOTUNE, deterministic=False)
    if stage == "frame":
        return sliced.map(tf.shape).batch(BATCH)
    examples = sliced.unbatch().shuffle(data.SHUFFLE_BUFFER_EXAMPLES)
    return examples.batch(BATCH, drop_remainder=True).prefetch(data.PREFETCH_BATCHES_OF_EXAMPLES)


def per_slice_us(dataset: tf.data.Dataset, batches: int, slices_per_element: float,
                 warm_up: int) -> tuple[float, float]:
    """(CPU-µs per slice, slices per wall second) over `batches` batches after `warm_up` batches."""
    iterator = iter(dataset)
    for _ in range(warm_up):
        next(iterator)
    start, cpu = time.perf_counter(), common.tree_cpu_seconds()
    for _ in range(batches):
        next(iterator)
    slices = batches * BATCH * slices_per_element
    return 1e6 * (common.tree_cpu_seconds() - cpu) / slices, slices / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batches", type=int, default=40, help="batches of 64 timed per cut")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        folder = os.path.join(root, "long")
        write_folder(folder, 12, 30.0, 44100, 2, "WAV", "PCM_16", "wav")
        cfg = DataConfig(data_dir=folder, prepared=folder + ".prepared").resolved()
        files = data.prepare_files(cfg, batch_size=BATCH)
        entries = corpus.prepare(files, cfg)
        per_file = expected_slices_per_epoch([f.frames_at(cfg.sample_rate) for f in files], cfg) / len(files)
        results: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for _ in range(args.rounds):
            for framing in ("literal", "flat"):
                for stage in ("read", "frame", "all"):
                    if stage == "read" and framing == "literal":
                        continue  # the same reading
                    batches = args.batches if stage == "all" else max(1, args.batches // 16)
                    scale = 1.0 if stage == "all" else per_file
                    # The whole pipeline after its shuffle buffer has filled; the cuts (batches of files) soon.
                    warm_up = data.SHUFFLE_BUFFER_EXAMPLES // BATCH + 2 if stage == "all" else 2
                    results.setdefault((framing, stage), []).append(
                        per_slice_us(cut(entries, cfg, stage, framing), batches, scale, warm_up))
    print(common.machine())
    print("| framing | pipeline up to | CPU-µs per slice (median) | slices / s (median) | rounds |")
    print("|---|---|---|---|---|")
    names = {"read": "reading (corpus.read)", "frame": "+ offset and framing", "all": "+ unbatch, shuffle, batch"}
    for (framing, stage), runs in results.items():
        label = "reference literal ([n, ch], one thread)" if framing == "literal" else "data.frame_audio (flat, parallel)"
        print(f"| {label} | {names[stage]} | {statistics.median(r[0] for r in runs):.1f} | "
              f"{statistics.median(r[1] for r in runs):.0f} | {len(runs)} |")


if __name__ == "__main__":
    main()
