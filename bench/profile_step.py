"""Where an iteration's time goes: each part of the train step timed on its own.

    python bench/profile_step.py --dim 16 --batch 16

Parts, each a tf.function timed after warm-up (median of --repeats runs of --calls calls):
the whole iteration through `fit` (what training does) and through a bare tf.function (no Keras loop),
one critic step and its pieces (G forward, D forward + backward on real and fake, the gradient
penalty's double backward, the optimiser update), one generator step, and every discriminator and
generator layer forward and forward + backward. Shares are of the bare iteration.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

import common  # noqa: F401  (sets up the path and TF logging)
import keras
import numpy as np
from keras import ops
import tensorflow as tf

from wavegan.train import losses
from wavegan.models import generator as models
from wavegan.train import step_tf as trainer_tf
from wavegan.layers import leaky_relu_mask
from wavegan.models import WaveGANDiscriminator, WaveGANGenerator
from wavegan.train.trainer import AdversarialTrainer


def timed(fn, calls: int, repeats: int, *args) -> float:
    """Median seconds of one call of `fn` (results fetched to the host, so asynchronous work counts)."""
    def run():
        for _ in range(calls):
            out = fn(*args)
        tf.nest.map_structure(lambda t: t.numpy() if hasattr(t, "numpy") else t, out)
    run()
    return common.median_seconds(run, repeats)[0] / calls


def layer_rows(model: keras.Model, x, prefix: str, calls: int, repeats: int) -> list[tuple[str, float, float]]:
    """(name, forward s, forward+backward s) for every conv layer of `model`, fed its real input."""
    rows = []
    convs = getattr(model, "downconvs", None) or model.upconvs
    if prefix == "G":
        x = model.z_reshape(model.z_project(x))
    for conv in convs:
        forward = tf.function(lambda t, conv=conv: conv(t))

        @tf.function
        def both(t, conv=conv):
            with tf.GradientTape() as tape:
                tape.watch(t)
                y = conv(t)
            return tape.gradient(y, [t] + conv.trainable_variables)
        rows.append((f"{prefix} {conv.name} {tuple(x.shape[1:])}→{tuple(conv.compute_output_shape(x.shape)[1:])}",
                     timed(forward, calls, repeats, x), timed(both, calls, repeats, x)))
        x = conv(x)
    return rows


def random_real_batches(batch: int) -> tf.Tensor:
    """One iteration's real input, [batch, 5 critic batches, 16384, 1], the same in every run."""
    return tf.constant(np.random.default_rng(0).uniform(-1, 1, (batch, 5, 16384, 1)).astype(np.float32))


def seeded_trainer(dim: int, phaseshuffle: int = 2) -> AdversarialTrainer:
    """A compiled, built WGAN-GP trainer whose weights are the same in every call (seed 0)."""
    keras.utils.set_random_seed(0)
    trainer = AdversarialTrainer(WaveGANGenerator(dim=dim), WaveGANDiscriminator(dim=dim, phaseshuffle_rad=phaseshuffle),
                                 latent_dim=100, disc_nupdates=5, seed=0)
    trainer.compile(losses.make_optimizer("wgan-gp"), losses.make_optimizer("wgan-gp"), "wgan-gp")
    trainer.build_for_training((16384, 1))
    return trainer


def interleaved_seconds(steps_by_name: dict, real_batches, iterations: int) -> dict[str, list[float]]:
    """Wall seconds of each step per iteration, the steps taking turns so that machine noise hits all alike,
    after one untimed turn each (a step's first calls after tracing are slower; the first-listed by
    seconds, once the others are traced too)."""
    for step in steps_by_name.values():
        step(real_batches)["d_loss"].numpy()
    seconds = {name: [] for name in steps_by_name}
    for _ in range(iterations):
        for name, step in steps_by_name.items():
            start = time.perf_counter()
            step(real_batches)["d_loss"].numpy()
            seconds[name].append(time.perf_counter() - start)
    return seconds


def compare_activations(dim: int, batch: int, steps: int) -> list[str]:
    """The discriminator's activation three ways: TensorFlow's LeakyRelu op as Keras calls it (whose
    second derivative back-propagates zeros through D(x̂)), the mask form the other backends run, and
    `layers.leaky_relu` (TensorFlow's fused kernels, no zeros); iterations interleaved in one process so
    that machine noise hits all alike."""
    def make_step(activation):
        models.leaky_relu = activation  # looked up when the step is traced
        step = tf.function(seeded_trainer(dim).train_step)
        logs = {name: float(value) for name, value in step(real_batches).items()}
        return step, logs

    real_batches = random_real_batches(batch)
    current = models.leaky_relu
    runs = {"keras.ops.leaky_relu": make_step(lambda x, slope: keras.ops.leaky_relu(x, slope)),
            "mask form, x · where(x > 0, 1, slope)": make_step(leaky_relu_mask),
            "wavegan.layers.leaky_relu": make_step(current)}
    models.leaky_relu = current
    seconds = interleaved_seconds({name: step for name, (step, _) in runs.items()}, real_batches, steps)
    ours = statistics.median(seconds["wavegan.layers.leaky_relu"])
    rows = [f"| D activation (d={dim}, batch {batch}, {steps} interleaved iterations) | median s / iteration | "
            "min | vs wavegan.layers.leaky_relu | first iteration's d_loss, gradient penalty |", "|---|---|---|---|---|"]
    rows += [f"| {name} | {statistics.median(s):.3f} | {min(s):.3f} | {statistics.median(s) / ours:.3f}× | "
             f"{runs[name][1]['d_loss']:.6g}, {runs[name][1]['gradient_penalty']:.6g} |" for name, s in seconds.items()]
    return rows


def compare_conv_forms(dim: int, batch: int, steps: int, precision: str = "float32") -> list[str]:
    """Every strided convolution as TensorFlow computes it ("direct") against the forms
    `layers.training_conv_form` picks, iterations interleaved in one process; both start from the same
    weights and noise, and the first iteration's losses and updated weights are compared."""
    from wavegan.layers import conv as wavegan_layers  # the module whose rule the layers look up when built

    chosen = wavegan_layers.training_conv_form

    def make_step(form_rule):
        wavegan_layers.training_conv_form = form_rule  # looked up when the layers are built
        keras.config.set_dtype_policy(precision)
        trainer = seeded_trainer(dim)
        keras.config.set_dtype_policy("float32")
        wavegan_layers.training_conv_form = chosen
        forms = [conv.computed_form for conv in trainer.discriminator.downconvs + trainer.generator.upconvs]
        step = tf.function(trainer.train_step)
        logs = {name: float(value) for name, value in step(real_batches).items()}
        return trainer, step, forms, logs

    real_batches = random_real_batches(batch)
    runs = {"every convolution direct": make_step(lambda *args: "direct"), "training forms": make_step(chosen)}
    (direct, _, _, direct_logs), (fast, _, fast_forms, fast_logs) = runs.values()
    weights = [(a, b) for a, b in zip(direct.generator.weights + direct.discriminator.weights,
                                      fast.generator.weights + fast.discriminator.weights, strict=True)]
    worst = max(float(np.max(np.abs(ops.convert_to_numpy(a) - ops.convert_to_numpy(b)))) for a, b in weights)
    seconds = interleaved_seconds({name: step for name, (_, step, _, _) in runs.items()}, real_batches, steps)
    rows = [f"| strided convolutions (d={dim}, batch {batch}, {precision}, {steps} interleaved iterations) | "
            "median s / iteration | "
            "min |", "|---|---|---|"]
    rows += [f"| {name} | {statistics.median(s):.3f} | {min(s):.3f} |" for name, s in seconds.items()]
    ratio = statistics.median(seconds["training forms"]) / statistics.median(seconds["every convolution direct"])
    rows += ["", f"Forms (D downconv_0…, then G upconv_0…): {', '.join(fast_forms)}. Time ratio {ratio:.3f}.",
             "First iteration from the same weights and noise: "
             + ", ".join(f"{name} {direct_logs[name]:.6g} / {fast_logs[name]:.6g}" for name in direct_logs)
             + f"; largest weight difference after it {worst:.2e}."]
    return rows


class StepTimes(keras.callbacks.Callback):
    """Wall time between consecutive step ends inside one fit (data, step, callbacks: all of it)."""

    def __init__(self):
        super().__init__()
        self.times, self.last = [], None

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        if self.last is not None:
            self.times.append(now - self.last)
        self.last = now


def fit_against_bare_step(trainer: AdversarialTrainer, real_batches, steps: int, rounds: int) -> list[str]:
    """Per-iteration time through `fit` with the train mode's callbacks (progress, NaN guard, timed
    checkpoints and summaries between saves) against the bare tf.function step, interleaved: `rounds`
    times one fit of `steps` steps, then `steps` bare steps. Inside one fit, so its set-up is not counted."""
    import tempfile

    from wavegan.train import callbacks as cbs
    from wavegan.train import checkpoints
    from wavegan.models.kind import wavegan_gan

    data = tf.data.Dataset.from_tensors(real_batches).repeat()
    step = trainer.step
    folder = tempfile.mkdtemp()
    writer = tf.summary.create_file_writer(folder)
    manager = checkpoints.make_manager(folder, generator=trainer.generator, discriminator=trainer.discriminator,
                                       g_optimizer=trainer.g_optimizer, d_optimizer=trainer.d_optimizer)
    real_iterator = itertools.repeat(real_batches[:, 0].numpy())
    quiet = lambda line: None  # noqa: E731
    bare = tf.function(trainer.train_step)
    bare(real_batches)["d_loss"].numpy()
    fit_times, bare_times = [], []
    for _ in range(rounds):
        timer = StepTimes()
        callbacks = [cbs.NanGuard(step), cbs.StopOnSignal(quiet),
                     cbs.TimedCheckpoint(manager, step, 10**9),
                     cbs.AudioSummaries(writer, step, 10**9, trainer.generator, trainer.latent_dim, real_iterator,
                                        16000, wavegan_gan()),
                     cbs.Progress(step, print_fn=quiet), timer]
        trainer.fit(data, steps_per_epoch=steps + 1, epochs=1, verbose=0, callbacks=callbacks)
        fit_times += timer.times
        for _ in range(steps):
            start = time.perf_counter()
            bare(real_batches)["d_loss"].numpy()
            bare_times.append(time.perf_counter() - start)
    fit_s, bare_s = statistics.median(fit_times), statistics.median(bare_times)
    return [f"| iteration, {rounds} × {steps} interleaved | median s | min s |", "|---|---|---|",
            f"| through fit with the train mode's callbacks | {fit_s:.3f} | {min(fit_times):.3f} |",
            f"| bare tf.function step | {bare_s:.3f} | {min(bare_times):.3f} |",
            f"| fit / bare | {fit_s / bare_s:.3f} | |"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=16)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--phaseshuffle", type=int, default=2)
    parser.add_argument("--calls", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--compare_activations", type=int, default=0,
                        help="only time this many interleaved iterations of the discriminator's activation three "
                             "ways (keras.ops.leaky_relu, the mask form, wavegan.layers.leaky_relu)")
    parser.add_argument("--compare_forms", type=int, default=0,
                        help="only time this many interleaved iterations with TensorFlow's strided convolutions "
                             "against the training forms (wavegan.layers.training_conv_form)")
    parser.add_argument("--precision", default="float32", help="dtype policy for --compare_forms")
    parser.add_argument("--no_record", action="store_true", help="print only")
    parser.add_argument("--fit_rounds", type=int, default=0,
                        help="only compare fit with the train mode's callbacks against the bare step, this many "
                             "interleaved rounds of --calls steps")
    args = parser.parse_args()
    calls, repeats, batch = args.calls, args.repeats, args.batch

    def emit(title: str, rows: list[str], notes: str = "") -> None:
        if args.no_record:
            print("\n".join(rows))
        else:
            common.record(title, rows, notes)

    if args.compare_forms:
        emit(f"Strided convolutions in training (d={args.dim}, batch {batch})",
             compare_conv_forms(args.dim, batch, args.compare_forms, args.precision))
        return
    if args.compare_activations:
        emit(f"The discriminator's activation in training (d={args.dim}, batch {batch})",
             compare_activations(args.dim, batch, args.compare_activations))
        return

    trainer = seeded_trainer(args.dim, args.phaseshuffle)
    g, d = trainer.generator, trainer.discriminator
    real_batches = random_real_batches(batch)
    if args.fit_rounds:
        emit(f"Training's fit path against the bare step (d={args.dim}, batch {batch})",
             fit_against_bare_step(trainer, real_batches, calls, args.fit_rounds))
        return
    real, z = real_batches[:, 0], tf.random.uniform((batch, 100), -1, 1)
    fake = g(z, training=True)

    data = tf.data.Dataset.from_tensors(real_batches).repeat()
    trainer.fit(data, steps_per_epoch=2, epochs=1, verbose=0)
    fit_seconds = common.median_seconds(
        lambda: trainer.fit(data, steps_per_epoch=calls, epochs=1, verbose=0), repeats)[0] / calls

    def d_forward_backward(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(d(x, training=True))
        return tape.gradient(loss, d.trainable_variables)

    def penalty_double_backward(x, y):
        alpha = tf.random.uniform((batch, 1, 1))
        with tf.GradientTape() as tape:
            interpolates = x + alpha * (y - x)
            with tf.GradientTape() as inner:
                inner.watch(interpolates)
                logits = d(interpolates, training=True)
            penalty = losses.gradient_penalty(inner.gradient(logits, interpolates))
        return tape.gradient(penalty, d.trainable_variables)

    def penalty_forward_backward(x, y):
        alpha = tf.random.uniform((batch, 1, 1))
        interpolates = x + alpha * (y - x)
        with tf.GradientTape() as inner:
            inner.watch(interpolates)
            logits = d(interpolates, training=True)
        return inner.gradient(logits, interpolates)

    grads = [tf.zeros_like(v) for v in d.trainable_variables]
    noise = trainer.iteration_noise(batch)
    parts = [
        ("iteration through fit (training's path)", fit_seconds),
        ("iteration, bare tf.function", timed(tf.function(trainer.train_step), calls, repeats, real_batches)),
        ("critic step", timed(tf.function(lambda r, n: trainer_tf.critic_step(trainer, r, n["critic_z"][0],
                                                                              n["alpha"][0])),
                              calls, repeats, real, noise)),
        ("  G forward (fresh fake batch)", timed(tf.function(lambda t: g(t, training=True)), calls, repeats, z)),
        ("  D forward", timed(tf.function(lambda t: d(t, training=True)), calls, repeats, real)),
        ("  D forward + backward (one of real, fake)", timed(tf.function(d_forward_backward), calls, repeats, real)),
        ("  penalty: D forward + input gradient", timed(tf.function(penalty_forward_backward), calls, repeats,
                                                        real, fake)),
        ("  penalty: + double backward to weights", timed(tf.function(penalty_double_backward), calls, repeats,
                                                          real, fake)),
        ("  D optimiser update", timed(tf.function(lambda: trainer.d_optimizer.apply_gradients(
            zip(grads, d.trainable_variables))), calls, repeats)),
        ("generator step", timed(tf.function(lambda n: trainer_tf.generator_step(trainer, n["generator_z"])),
                                 calls, repeats, noise)),
    ]
    iteration = parts[1][1]
    rows = [f"| part (d={args.dim}, batch {batch}, phase shuffle {args.phaseshuffle}) | ms | share of iteration |",
            "|---|---|---|"]
    rows += [f"| {name} | {seconds * 1e3:.1f} | {seconds / iteration:.0%} |" for name, seconds in parts]
    rows += ["", "| layer (input → output) | forward ms | forward + backward ms |", "|---|---|---|"]
    rows += [f"| {name} | {f * 1e3:.2f} | {fb * 1e3:.2f} |"
             for name, f, fb in layer_rows(d, real, "D", calls, repeats) + layer_rows(g, z, "G", calls, repeats)]
    emit("Train step profile", rows, "Critic steps are 5 of an iteration; the penalty rows include the D forward "
         "they need.")


if __name__ == "__main__":
    main()
