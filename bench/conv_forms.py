"""Each strided layer of WaveGAN in each of its training forms: what `layers.training_conv_form` is based on.

    python bench/conv_forms.py --dim 16 --batch 16
    python bench/conv_forms.py --dim 64 --batch 64 --repeats 3

For every D and G layer at this size, its input shaped as in the model: milliseconds of the forward
pass, forward + backward (input and kernel gradients) and the gradient penalty's double backward (the
input gradient's norm differentiated to the kernel), for TensorFlow's own kernel ("direct") and each
rewritten form; forms alternate call by call, medians. The form the rule picks is marked.
"""

from __future__ import annotations

import argparse
import statistics
import time

import common
import numpy as np
import tensorflow as tf

from wavegan import layers
from wavegan.models import layer_plan

D_FORMS = ("direct", "space_to_depth", "matmul")
G_FORMS = ("direct", "polyphase", "matmul")


def passes(layer) -> dict:
    """The three tf.functions timed for `layer`."""
    @tf.function
    def forward(x):
        return layer(x)

    @tf.function
    def forward_backward(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            score = tf.reduce_sum(tf.sin(layer(x)))  # a cotangent that varies, as the layers above give
        return tape.gradient(score, [x, layer.kernel])

    @tf.function
    def double_backward(x):
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                inner.watch(x)
                score = tf.reduce_sum(tf.sin(layer(x)))
            penalty = tf.reduce_sum(tf.square(inner.gradient(score, x)))
        return outer.gradient(penalty, layer.kernel)

    return {"forward": forward, "forward + backward": forward_backward, "double backward": double_backward}


def time_layer(make, forms: tuple, x, repeats: int) -> dict:
    """{(form, pass): median ms}, forms interleaved call by call."""
    runs = {}
    for form in forms:
        layer = make(form)
        layer.build(x.shape)
        for name, fn in passes(layer).items():
            tf.nest.map_structure(lambda t: t.numpy(), fn(x))  # trace and warm up
            runs[(form, name)] = fn
    seconds = {key: [] for key in runs}
    for _ in range(repeats):
        for key, fn in runs.items():
            start = time.perf_counter()
            tf.nest.map_structure(lambda t: t.numpy(), fn(x))
            seconds[key].append(time.perf_counter() - start)
    return {key: statistics.median(s) * 1e3 for key, s in seconds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=16)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--slice_len", type=int, default=16384)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    strides, multipliers = layer_plan(args.slice_len)
    rng = np.random.default_rng(0)
    rows = [f"| layer (d={args.dim}, batch {args.batch}) | form | forward ms | forward + backward ms | "
            "double backward ms |", "|---|---|---|---|---|"]

    def add_rows(name: str, results: dict, forms: tuple, picked: str) -> None:
        for form in forms:
            mark = " (picked)" if form == picked else ""
            rows.append(f"| {name} | {form}{mark} | " + " | ".join(
                f"{results[(form, p)]:.2f}" for p in ("forward", "forward + backward", "double backward")) + " |")

    d_channels = [1] + [args.dim * m for m in reversed(multipliers)]
    length = args.slice_len
    for i, (stride, c_in, c_out) in enumerate(zip(strides, d_channels[:-1], d_channels[1:])):
        x = tf.constant(rng.normal(size=(args.batch, length, c_in)).astype(np.float32))
        results = time_layer(lambda form: layers.StridedConv1D(c_out, 25, strides=stride, padding="same", form=form),
                             D_FORMS, x, args.repeats)
        add_rows(f"D downconv_{i} ({length}, {c_in}) → {c_out}", results, D_FORMS,
                 layers.training_conv_form(False, length, c_in, c_out, 25, stride))
        length = -(-length // stride)
    g_channels = [args.dim * m for m in multipliers] + [1]
    length = 16
    for i, (stride, c_in, c_out) in enumerate(zip(strides, g_channels[:-1], g_channels[1:])):
        x = tf.constant(rng.normal(size=(args.batch, length, c_in)).astype(np.float32))
        results = time_layer(lambda form: layers.StridedConv1DTranspose(c_out, 25, strides=stride, padding="same",
                                                                        form=form), G_FORMS, x, args.repeats)
        add_rows(f"G upconv_{i} ({length}, {c_in}) → {c_out}", results, G_FORMS,
                 layers.training_conv_form(True, length, c_in, c_out, 25, stride))
        length *= stride
    common.record("Strided layers in their training forms", rows,
                  "Each form alternates with the others call by call; medians. A training iteration runs D's "
                  "forward + backward twice and its double backward once per critic step, G's forward once.")


if __name__ == "__main__":
    main()
