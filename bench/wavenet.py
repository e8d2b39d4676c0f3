"""WaveNet and frame-GRU speed: fast vs naive generation, training rates, the 64-clip generation time.

    python bench/wavenet.py                       # default sizes (wavenet/wavenet_params.json)
    python bench/wavenet.py --params eval/wavenet_digits_params.json --no-full

Randomly initialised models (weights do not change the speed). Naive generation costs the same for
every sample once its window is full (it always runs the network over one receptive field), so its
16384-sample time is its per-sample time × 16384; the two algorithms are timed alternately, twice,
so that a change in the machine's load hits both.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import common
import numpy as np
import threadpoolctl

import keras

from framernn.models import FrameRNN
from wavenet import generation
from wavenet.config import DEFAULT_PARAMS
from wavenet.fast_generation import FastGenerator
from wavenet.models import WaveNet

LENGTH = 16384


def per_sample(generator, model, batch: int, steps: int) -> float:
    """Seconds per generated sample (all clips of the batch together), after one warm-up step."""
    rng = np.random.default_rng(0)
    context = generation.initial_context(model, batch, rng)
    generator.start(context[:, :-1])
    current = context[:, -1]
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        generator.step(current)
        start = time.perf_counter()
        for _ in range(steps):
            current = generation.sample_classes(generator.step(current), 1.0, rng.random(batch))
        return (time.perf_counter() - start) / steps


def train_rate(model, batch: int, width: int, steps: int) -> float:
    """Training examples per second on random pieces of `width` samples."""
    model.compile(optimizer=keras.optimizers.Adam(1e-3, epsilon=1e-4),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    x = rng.integers(0, model.quantization_channels, (batch, width - 1)).astype(np.int32)
    y = rng.integers(0, model.quantization_channels, (batch, width - model.receptive_field)).astype(np.int32)
    model.train_on_batch(x, y)
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    return steps * batch / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default=DEFAULT_PARAMS)
    parser.add_argument("--naive_steps", type=int, default=8)
    parser.add_argument("--fast_steps", type=int, default=400)
    parser.add_argument("--full", action=argparse.BooleanOptionalAction, default=True,
                        help="also time 64 one-second clips with the fast algorithm, end to end")
    parser.add_argument("--train_steps", type=int, default=3)
    parser.add_argument("--sample_size", type=int, default=16384, help="targets per training piece")
    args = parser.parse_args()
    load_at_start = os.getloadavg()[0]
    params = json.load(open(args.params))
    params.pop("sample_rate", None)
    model = WaveNet(**params, name="wavenet").build_for()
    rf = model.receptive_field
    fast, naive = FastGenerator(model), generation.NaiveGenerator(model)
    rows = ["| algorithm | batch | ms per sample step | samples/s (all clips) | 16384 samples of one batch (s) |",
            "|---|---|---|---|---|"]
    timings: dict[tuple[str, int], list[float]] = {}
    for _ in range(2):  # interleaved: fast and naive alternately
        for batch in (1, 64):
            timings.setdefault(("fast", batch), []).append(per_sample(fast, model, batch, args.fast_steps))
        timings.setdefault(("naive", 1), []).append(per_sample(naive, model, 1, args.naive_steps))
    timings[("naive", 64)] = [per_sample(naive, model, 64, max(2, args.naive_steps // 4))]
    best = {key: min(values) for key, values in timings.items()}
    for (name, batch), seconds in sorted(best.items()):
        rows.append(f"| {name} | {batch} | {seconds * 1e3:.2f} | {batch / seconds:.0f} | {seconds * LENGTH:.1f} |")
    ratios = {batch: best[("naive", batch)] / best[("fast", batch)] for batch in (1, 64)}
    rows += ["", f"fast / naive speed-up at 16384 samples: batch 1 **{ratios[1]:.0f}×**, batch 64 **{ratios[64]:.0f}×** "
             f"(per-sample times; model: {len(model.blocks)} layers, receptive field {rf}, "
             f"{sum(int(np.prod(v.shape)) for v in model.trainable_variables):,} parameters)."]
    if args.full:
        start = time.perf_counter()
        generation.generate(model, 64, 16000, 1.0, seed=0, fast=True)
        rows.append(f"64 clips of 16000 samples (1 s each), fast algorithm, end to end (priming included): "
                    f"**{time.perf_counter() - start:.1f} s**.")
    width = rf + args.sample_size
    rows += ["", "| model | batch | piece (samples) | training examples/s | target samples/s |", "|---|---|---|---|---|"]
    for batch in (1, 4):
        rate = train_rate(WaveNet(**params, name="wavenet").build_for(), batch, width, args.train_steps)
        rows.append(f"| WaveNet | {batch} | {width} | {rate:.3f} | {rate * args.sample_size:.0f} |")
    gru = FrameRNN(frame_size=800, units=256).build_for()
    gru.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(0, 0.1, (128, 50, 800)).astype(np.float32)
    gru.train_on_batch(x, x)
    start = time.perf_counter()
    for _ in range(args.train_steps):
        gru.train_on_batch(x, x)
    rate = args.train_steps * 128 / (time.perf_counter() - start)
    rows.append(f"| frame GRU (800-sample frames × 50, 256 units) | 128 | 40800 | {rate:.1f} | {rate * 40000:.0f} |")
    from framernn.run import continue_frames

    seeds = x[:64, :2]
    continue_frames(gru, seeds, 2)
    start = time.perf_counter()
    continue_frames(gru, seeds, 21)
    seconds = time.perf_counter() - start
    rows.append(f"\nFrame GRU generation: 64 clips of 21 frames (16800 samples) in {seconds:.2f} s "
                f"({64 * 21 * 800 / seconds:.0f} samples/s).")
    common.record("WaveNet and frame GRU: generation and training speed", rows,
                  notes=f"Load average (1 min) {load_at_start:.2f} at the start and {os.getloadavg()[0]:.2f} at the "
                        f"end, on {os.cpu_count()} cores shared with other engineers' jobs: absolute times can be "
                        "pessimistic; the fast/naive ratios were taken interleaved.")


if __name__ == "__main__":
    main()
