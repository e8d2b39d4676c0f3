"""Generation speed from an exported SavedModel: clips/s and real-time factor at batch 1 and 64.

    python bench/generate.py --dim 64 --batches 1 64

Exports a randomly initialised generator of the given size (weights do not change the speed).
"""

from __future__ import annotations

import argparse
import tempfile

import common
import numpy as np
import tensorflow as tf

from wavegan.export import export_generator
from wavegan.gan import Renderer
from wavegan.models import WaveGANGenerator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--clips", type=int, default=256, help="clips generated per timed run")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    generator = WaveGANGenerator(dim=args.dim)
    generator.build((None, 100))
    rows = ["| dim | batch | clips / s | real-time factor (audio s per wall s) | peak RSS (MB) |",
            "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as folder:
        path = export_generator(generator, f"{folder}/saved_model", {"latent_dim": 100}, Renderer())
        serving = tf.saved_model.load(path).signatures["serving_default"]
        for batch in args.batches:
            z = tf.constant(np.random.uniform(-1, 1, (batch, 100)).astype(np.float32))
            serving(z=z)  # warm up
            runs = max(1, args.clips // batch)
            seconds, _ = common.median_seconds(
                lambda z=z, runs=runs: [serving(z=z)["G_z"].numpy() for _ in range(runs)], args.repeats)
            clips_per_s = runs * batch / seconds
            rows.append(f"| {args.dim} | {batch} | {clips_per_s:.1f} | {clips_per_s * 16384 / 16000:.1f} | "
                        f"{common.peak_rss_mb():.0f} |")
    common.record("Generation from the SavedModel", rows)


if __name__ == "__main__":
    main()
