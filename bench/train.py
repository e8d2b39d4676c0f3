"""Training speed: seconds per iteration (5 critic + 1 generator step), examples/s, peak memory, FLOPs.

    python bench/train.py --dim 16 --batch 16 --precision float32 mixed_bfloat16 --iterations 10 --repeats 3
    KERAS_BACKEND=jax python bench/train.py --dim 64 --batch 64       # the JAX train step (no TensorFlow needed)

Synthetic real batches (the input pipeline has its own bench); after 3 warm-up steps, the median of
--iterations × --repeats steps timed one by one.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import itertools

import common  # noqa: F401  (sets up the path and TF logging)
import keras
import numpy as np

from wavegan.train import losses
from wavegan.models import WaveGANDiscriminator, WaveGANGenerator, layer_plan
from wavegan.train.trainer import AdversarialTrainer


def forward_flops(dim: int, slice_len: int = 16384, channels: int = 1, kernel_len: int = 25,
                  latent_dim: int = 100) -> tuple[float, float]:
    """Multiply-adds × 2 of one example through G and D, from the layer shapes (reference §3)."""
    strides, multipliers = layer_plan(slice_len)
    g_channels = [dim * m for m in multipliers] + [channels]
    g = 2.0 * latent_dim * 16 * g_channels[0]
    length = 16
    for stride, c_in, c_out in zip(strides, g_channels[:-1], g_channels[1:]):
        g += 2.0 * length * kernel_len * c_in * c_out  # transposed conv: every input sample × kernel
        length *= stride
    d_channels = [channels] + [dim * m for m in reversed(multipliers)]
    d, length = 0.0, slice_len
    for stride, c_in, c_out in zip(strides, d_channels[:-1], d_channels[1:]):
        length = math.ceil(length / stride)
        d += 2.0 * length * kernel_len * c_in * c_out
    return g, d + 2.0 * length * d_channels[-1]


def iteration_flops(g: float, d: float, batch: int, nupdates: int = 5) -> float:
    """Per critic step: G forward, D forward+backward on real and fake (3 passes each), D on the
    interpolates with the penalty's double backward (≈4 passes); generator step: 3 G + 3 D passes."""
    return batch * (nupdates * (g + 10 * d) + 3 * g + 3 * d)


class StepTimer(keras.callbacks.Callback):
    """Wall seconds of every training step (TensorFlow runs a step synchronously on the host)."""

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []

    def on_train_batch_begin(self, batch, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


def bench(dim: int, batch: int, slice_len: int, precision: str, jit: bool, iterations: int, repeats: int):
    keras.config.set_dtype_policy(precision)
    g, d = WaveGANGenerator(dim=dim, slice_len=slice_len), WaveGANDiscriminator(dim=dim, slice_len=slice_len)
    g_opt, d_opt = losses.make_optimizer("wgan-gp"), losses.make_optimizer("wgan-gp")
    if precision == "mixed_float16":
        g_opt, d_opt = keras.optimizers.LossScaleOptimizer(g_opt), keras.optimizers.LossScaleOptimizer(d_opt)
    trainer = AdversarialTrainer(g, d, latent_dim=100, disc_nupdates=5)
    trainer.compile(g_opt, d_opt, "wgan-gp", jit_compile=jit)
    trainer.build_for_training((slice_len, 1))
    real = np.random.default_rng(0).uniform(-1, 1, (batch, 5, slice_len, 1)).astype(np.float32)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        data = tf.data.Dataset.from_tensors(real).repeat()
    else:  # the JAX trainer's fit reads numpy batches; no TensorFlow on a JAX-only machine
        data = itertools.repeat(real)
    # Steps are timed inside one fit: timing whole fit calls adds each call's set-up (iterator,
    # callbacks), which at d=8 made the figure swing by a third between runs.
    timer = StepTimer()
    warmup = 3
    trainer.fit(data, steps_per_epoch=warmup + iterations * repeats, epochs=1, verbose=0, callbacks=[timer])
    seconds = statistics.median(timer.seconds[warmup:])
    keras.config.set_dtype_policy("float32")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, nargs="+", default=[16])
    parser.add_argument("--batch", type=int, nargs="+", default=[16])
    parser.add_argument("--slice_len", type=int, default=16384)
    parser.add_argument("--precision", nargs="+", default=["float32"])
    parser.add_argument("--jit", choices=["on", "off"], nargs="+", default=["off"])
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peak_gflops", type=float, default=0.0,
                        help="this machine's fp32 matmul GFLOP/s for the share-of-peak column (default: measured "
                             "now, the median of five 4096² matmuls)")
    args = parser.parse_args()
    peak = args.peak_gflops or common.matmul_gflops("float32")[0]
    rows = ["| backend | dim | batch | slice | precision | XLA | s / iteration | examples / s | TFLOP / iteration | "
            "GFLOP/s | share of fp32 peak | peak RSS (MB) |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for dim in args.dim:
        for batch in args.batch:
            for precision in args.precision:
                for jit in args.jit:
                    seconds = bench(dim, batch, args.slice_len, precision, jit == "on", args.iterations, args.repeats)
                    flops = iteration_flops(*forward_flops(dim, args.slice_len), batch)
                    rate = flops / seconds / 1e9
                    xla = "jax.jit" if keras.backend.backend() == "jax" else jit
                    rows.append(f"| {keras.backend.backend()} | {dim} | {batch} | {args.slice_len} | {precision} | {xla} | "
                                f"{seconds:.3f} | "
                                f"{batch * 6 / seconds:.1f} | {flops / 1e12:.3f} | {rate:.0f} | "
                                f"{rate / peak:.0%} | {common.peak_rss_mb():.0f} |")
    common.record("Training iteration", rows, "examples/s counts the 6 batches an iteration consumes "
                  "(5 real for the critic, 1 generated for G). Peak RSS is the process maximum so far. "
                  f"Share of peak: of this machine's fp32 matmul peak, {peak:.0f} GFLOP/s "
                  f"({'given' if args.peak_gflops else 'measured by the run'}).")


if __name__ == "__main__":
    main()
