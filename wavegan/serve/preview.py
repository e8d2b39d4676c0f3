"""The preview mode: listen to the same fixed latents at every checkpoint (reference §1.1 preview).

Meant to run beside training, on the CPU. The latents are drawn once and kept in
`train_dir/preview/z.npy` (not a pickle); each new checkpoint gives `preview/<step:08d>.wav` (16-bit,
all clips in a row, each followed by half a second of silence) and an audio summary `preview`, and
with the post-processing filter its frequency response (`<step>_ppfilt.png`, image summary `pp_filt`).
A label-conditional run is previewed class by class: the first preview_n / classes latents (at least
one) rendered as each class, `preview/<step:08d>_<Class>.wav` and audio summaries `preview/<Class>`.
"""

from __future__ import annotations

import os
from typing import Callable

import keras
import numpy as np
import soundfile
import tensorflow as tf

from wavegan.train import checkpoints, events
from wavegan.serve import plots
from wavegan.config import RunConfig, load_run_config
from wavegan.audio.pcm import quantize_int16
from wavegan.serve.export import flatten_clips
from wavegan.train.kind import GanKind
from wavegan.serve.latents import fixed_latents

PREVIEW_DIR = "preview"


def render_preview(generator: keras.Model, kind: GanKind, latents: np.ndarray, sample_rate: int,
                   labels: np.ndarray | None = None) -> np.ndarray:
    """int16 [n·(slice_len + sample_rate/2), channels]."""
    given = {} if labels is None else {"labels": labels}
    audio = kind.renderer.to_audio(generator(latents, training=False, **given), *kind.renderer.defaults)
    return np.asarray(quantize_int16(flatten_clips(audio, sample_rate // 2)))


def preview_checkpoint(generator: keras.Model, kind: GanKind, checkpoint: str, run: RunConfig,
                       latents: np.ndarray, preview_dir: str, writer: tf.summary.SummaryWriter) -> str:
    checkpoints.restore_generator(generator, checkpoint)
    step = checkpoints.checkpoint_step(checkpoint)
    if run.data.classes:
        return preview_by_class(generator, kind, step, run, latents, preview_dir, writer)
    audio = render_preview(generator, kind, latents, run.data.sample_rate)
    wav_path = os.path.join(preview_dir, f"{step:08d}.wav")
    soundfile.write(wav_path, audio, run.data.sample_rate, subtype="PCM_16")
    with writer.as_default(step=step):
        tf.summary.audio("preview", audio[None].astype(np.float32) / 32767.0, run.data.sample_rate, max_outputs=1)
        if getattr(generator, "pp_filt", None) is not None:
            kernel = generator.pp_filt.kernel.numpy()[:, 0, 0]  # input channel 0 → output channel 0
            image = plots.plot_filter_response(
                kernel, run.data.sample_rate, f"Post-processing filter at step {step} ({len(kernel)} taps)")
            with open(os.path.join(preview_dir, f"{step:08d}_ppfilt.png"), "wb") as f:
                f.write(tf.io.encode_png(image).numpy())
            tf.summary.image("pp_filt", image[None], max_outputs=1)
    writer.flush()
    return wav_path


def preview_by_class(generator: keras.Model, kind: GanKind, step: int, run: RunConfig, latents: np.ndarray,
                     preview_dir: str, writer: tf.summary.SummaryWriter) -> str:
    """The conditional preview: the same latents as every class, one WAV and one summary per class."""
    per_class = latents[: max(1, len(latents) // len(run.data.classes))]
    paths = []
    with writer.as_default(step=step):
        for index, name in enumerate(run.data.classes):
            audio = render_preview(generator, kind, per_class, run.data.sample_rate,
                                   np.full(len(per_class), index, np.int32))
            paths.append(os.path.join(preview_dir, f"{step:08d}_{name}.wav"))
            soundfile.write(paths[-1], audio, run.data.sample_rate, subtype="PCM_16")
            tf.summary.audio(f"preview/{name}", audio[None].astype(np.float32) / 32767.0, run.data.sample_rate,
                             max_outputs=1)
    writer.flush()
    return ", ".join(paths)


def open_follower(train_dir: str, kind: GanKind, subdir: str, n_latents: int):
    """What a mode that follows training's checkpoints needs (preview, incept): the run's config, its own
    folder with `n_latents` fixed latents (`z.npy`, flag --<subdir>_n) and an event writer, and a built
    generator to restore into."""
    run = load_run_config(train_dir)
    folder = os.path.join(train_dir, subdir)
    os.makedirs(folder, exist_ok=True)
    latents = fixed_latents(os.path.join(folder, "z.npy"), n_latents, run.model.latent_dim, f"{subdir}_n")
    generator = kind.build_generator(run)
    generator.build((None, run.model.latent_dim))
    return run, folder, latents, generator, events.file_writer(folder)


def run_preview(train_dir: str, kind: GanKind, preview_n: int = 32,
                poll_secs: float = 1.0, once: bool = False, print_fn: Callable[[str], None] = print) -> None:
    """Previews every new checkpoint until killed (or the newest one, with once=True)."""
    run, preview_dir, latents, generator, writer = open_follower(train_dir, kind, PREVIEW_DIR, preview_n)
    if not once:
        print_fn(f"Previewing new checkpoints of {train_dir} (Ctrl-C to stop).")
    checkpoints.watch(
        train_dir, lambda latest: print_fn(
            f"wrote {preview_checkpoint(generator, kind, latest, run, latents, preview_dir, writer)}"),
        poll_secs, once, print_fn)
