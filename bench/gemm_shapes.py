"""How fast this machine multiplies the matrices a WaveGAN layer amounts to: a bound on its convolutions.

    python bench/gemm_shapes.py --dim 16 --batch 16
    python bench/gemm_shapes.py --dim 64 --batch 64 --repeats 5

A strided convolution of kernel k from C to F channels with T outputs per example is, written as
im2col, a [batch·T, k·C] × [k·C, F] matmul forward, [batch·T, F] × [F, k·C] for the input gradient and
[k·C, batch·T] × [batch·T, F] for the kernel gradient (the transposed convolutions of G the same three,
the roles of input and output swapped). Each is timed here as a bare float32 matmul (median after
warm-up) and set against the machine's 4096² figure: where even the bare matmuls of a model's shapes
stay below a share of the peak, no rewriting of the convolutions in TensorFlow reaches it (the im2col
copies come on top).
"""

from __future__ import annotations

import argparse

import common
import tensorflow as tf

from wavegan.models import layer_plan


def gemms(dim: int, batch: int, slice_len: int = 16384, kernel_len: int = 25) -> list[tuple[str, int, int, int]]:
    """(name, m, k, n) of the three matmuls of every D and G convolution at this size."""
    strides, multipliers = layer_plan(slice_len)
    d_channels = [1] + [dim * m for m in reversed(multipliers)]
    shapes, length = [], slice_len
    for i, (stride, c_in, c_out) in enumerate(zip(strides, d_channels[:-1], d_channels[1:])):
        length //= stride
        rows, taps = batch * length, kernel_len * c_in
        shapes += [(f"D downconv_{i} forward", rows, taps, c_out), (f"D downconv_{i} input gradient", rows, c_out, taps),
                   (f"D downconv_{i} kernel gradient", taps, rows, c_out)]
    g_channels = [dim * m for m in multipliers] + [1]
    length = 16
    for i, (stride, c_in, c_out) in enumerate(zip(strides, g_channels[:-1], g_channels[1:])):
        rows, taps = batch * length, kernel_len * c_out
        shapes += [(f"G upconv_{i} forward", rows, c_in, taps), (f"G upconv_{i} input gradient", rows, taps, c_in),
                   (f"G upconv_{i} kernel gradient", c_in, rows, taps)]
        length *= stride
    return shapes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=16)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    peak = common.matmul_gflops("float32")[0]
    matmul = tf.function(tf.matmul)
    rows = [f"| matmul (d={args.dim}, batch {args.batch}) | m × k × n | ms | GFLOP/s | share of peak |",
            "|---|---|---|---|---|"]
    totals = {"D": [0.0, 0.0], "G": [0.0, 0.0]}
    for name, m, k, n in gemms(args.dim, args.batch):
        a, b = tf.random.normal([m, k]), tf.random.normal([k, n])
        matmul(a, b).numpy()
        seconds = common.median_seconds(lambda: matmul(a, b).numpy(), args.repeats)[0]
        flops = 2.0 * m * k * n
        totals[name[0]][0] += flops
        totals[name[0]][1] += seconds
        rows.append(f"| {name} | {m} × {k} × {n} | {seconds * 1e3:.2f} | {flops / seconds / 1e9:.0f} | "
                    f"{flops / seconds / 1e9 / peak:.0%} |")
    for model, (flops, seconds) in totals.items():
        rows.append(f"| **all of {model}'s** | | {seconds * 1e3:.1f} | {flops / seconds / 1e9:.0f} | "
                    f"{flops / seconds / 1e9 / peak:.0%} |")
    common.record("Matmuls of the layers' shapes", rows,
                  f"Peak: this machine's 4096² float32 matmul, {peak:.0f} GFLOP/s (measured by the run).")


if __name__ == "__main__":
    main()
