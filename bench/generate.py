"""Generation speed from an exported SavedModel: clips/s and real-time factor at batch 1 and 64.

    python bench/generate.py --dim 64 --batches 1 64 [--bf16]

Exports a randomly initialised generator of the given size (weights do not change the speed) twice:
with the faster inference layers the export uses (`wavegan.export.inference_forward`) and with the
layers as trained, then times the two `serving_default` signatures alternately (round by round, so a
busy machine slows both alike) and reports the medians, their ratio, and the largest difference
between each output and the layers' as trained. `--bf16` adds a third export, `infer --infer_precision
bfloat16`, and its fidelity: the signal-to-noise ratio of its output against the float32 layers.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import common
import numpy as np
import tensorflow as tf

from wavegan.serve.export import export_generator
from wavegan.train.kind import Renderer
from wavegan.models import WaveGANGenerator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--clips", type=int, default=256, help="clips generated per timed run")
    parser.add_argument("--repeats", type=int, default=5, help="alternating rounds of both exports")
    parser.add_argument("--bf16", action="store_true", help="also time the bfloat16 export")
    args = parser.parse_args()
    generator = WaveGANGenerator(dim=args.dim)
    generator.build((None, 100))
    rows = ["| dim | batch | export | clips / s (median) | real-time factor | vs layers as trained | "
            "max abs difference | SNR (dB) | peak RSS (MB) |", "|---|---|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as folder:
        serving = {}
        exports = [("as trained", False, "float32"), ("inference forms", True, "float32")]
        exports += [("inference forms, bfloat16", True, "bfloat16")] * args.bf16
        for label, fast, precision in exports:
            path = export_generator(generator, f"{folder}/{fast}{precision}", {"latent_dim": 100}, Renderer(),
                                    inference_forms=fast, precision=precision)
            serving[label] = tf.saved_model.load(path).signatures["serving_default"]
        for batch in args.batches:
            z = tf.constant(np.random.uniform(-1, 1, (batch, 100)).astype(np.float32))
            outputs = {label: fn(z=z)["G_z"].numpy() for label, fn in serving.items()}  # also the warm-up
            reference = outputs["as trained"]
            errors = {label: output - reference for label, output in outputs.items()}
            runs = max(1, args.clips // batch)
            times = {label: [] for label in serving}
            for _ in range(args.repeats):
                for label, fn in serving.items():
                    start = time.perf_counter()
                    for _ in range(runs):
                        fn(z=z)["G_z"].numpy()
                    times[label].append(time.perf_counter() - start)
            base = statistics.median(times["as trained"])
            for label in serving:
                seconds = statistics.median(times[label])
                clips_per_s = runs * batch / seconds
                error = errors[label]
                snr = (f"{10 * np.log10(np.sum(reference ** 2) / np.sum(error ** 2)):.1f}" if np.any(error)
                       else "–")
                rows.append(f"| {args.dim} | {batch} | {label} | {clips_per_s:.1f} | {clips_per_s * 16384 / 16000:.1f} | "
                            f"{base / seconds:.2f}× | {float(np.abs(error).max()):.1e} | {snr} | "
                            f"{common.peak_rss_mb():.0f} |")
    common.record("Generation from the SavedModel", rows,
                  f"{args.repeats} alternating rounds of {args.clips} clips per export and batch size.")


if __name__ == "__main__":
    main()
