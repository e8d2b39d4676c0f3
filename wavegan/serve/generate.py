"""Write generated audio as 16-bit WAV files, from a train dir, a checkpoint or an exported SavedModel.

Generation runs in fixed-size batches and each batch is written before the next is made, so memory
stays flat for any number of files (the paper's protocol scores 50,000). The latents of every file are
saved (`z.npy`, row i → file i), so any two can later be interpolated (a request in the original's
issue tracker; the latents themselves come from `wavegan.serve.latents`). A label-conditional model writes `<Class>_<index>.wav` (and `<Class>_z.npy`) for each
class asked for, the same latents for every class.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Callable

import numpy as np
import soundfile
import tensorflow as tf

from wavegan.train import checkpoints
from wavegan.config import kind_of_run
from wavegan.audio.labels import parse_label
from wavegan.errors import UserError
from wavegan.audio.pcm import quantize_int16
from wavegan.serve.export import INFO_FILE, read_export_info
from wavegan.train.kind import GanKind


@dataclasses.dataclass
class Generator:
    """Anything that maps latents to int16 audio, with the facts needed to write it.

    A conditional one (`classes` not empty) needs labels too: `generate_int16(z, labels)` with int class
    indices [n], or float class weights [n, classes] for a mix of classes."""

    generate_int16: Callable[..., np.ndarray]
    latent_dim: int
    sample_rate: int
    step: int
    source: str
    classes: list[str] = dataclasses.field(default_factory=list)


def gan_of_run(source: str):
    """The GanKind of the run a train dir or checkpoint prefix belongs to, whichever GAN it is."""
    folder = source if os.path.isdir(source) else os.path.dirname(source)
    kind = kind_of_run(folder)
    if kind.gan is None:
        raise UserError(f"{folder} holds a {kind.name} run, which is not a GAN: use {kind.script} for it.")
    return kind.gan(folder)


def open_generator(source: str, make_kind: Callable[[str], GanKind]) -> Generator:
    """`source` is a SavedModel folder (holding wavegan.json), a train dir, or a checkpoint prefix.

    `make_kind(train_dir)` gives the GAN's models and renderer (SpecGAN's needs the run's moments).
    """
    if os.path.isfile(os.path.join(source, INFO_FILE)):
        info = read_export_info(source)
        signatures = tf.saved_model.load(source).signatures
        serving = signatures["serving_default"]
        # Inputs besides z and the label (SpecGAN's ngl) take the values recorded at export.
        extra = {name: tf.constant(info[name]) for name in serving.structured_input_signature[1]
                 if name not in ("z", "label")}

        def generate_saved(z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
            if labels is None:
                return serving(z=tf.constant(z), **extra)["G_z_int16"].numpy()
            if np.ndim(labels) == 2:
                return signatures["mix"](z=tf.constant(z), label_weights=tf.constant(labels, tf.float32),
                                         **extra)["G_z_int16"].numpy()
            return serving(z=tf.constant(z), label=tf.constant(labels, tf.int32), **extra)["G_z_int16"].numpy()

        return Generator(generate_saved, int(info["latent_dim"]), int(info["sample_rate"]), int(info["step"]),
                         source, list(info.get("classes") or []))
    if not os.path.isdir(source) and not tf.io.gfile.exists(source + ".index"):
        raise UserError(f"{source} is neither a SavedModel folder, a train dir nor a checkpoint prefix.")
    # A train dir, a checkpoint in it or one level down (incept/best_score-<step>), or its best/ folder.
    train_dir, checkpoint = checkpoints.split_source(source)
    kind = make_kind(train_dir)
    generator, run, step = checkpoints.load_generator(train_dir, kind.build_generator, checkpoint)

    def generate_int16(z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        given = {} if labels is None else {"labels": labels}
        audio = kind.renderer.to_audio(generator(z, training=False, **given), *kind.renderer.defaults)
        return np.asarray(quantize_int16(audio))

    return Generator(generate_int16, run.model.latent_dim, run.data.sample_rate, step,
                     checkpoint or os.path.join(train_dir, f"{checkpoints.CHECKPOINT_NAME}-{step}"), list(run.data.classes))


def write_wavs(generator: Generator, latents: np.ndarray, out_dir: str, batch_size: int = 64,
               prefix: str = "", print_fn: Callable[[str], None] | None = None,
               labels: np.ndarray | None = None) -> list[str]:
    """Writes one 16-bit WAV per latent row (`<prefix><index>.wav`) and `<prefix>z.npy`; a conditional
    generator needs `labels` (a class index, or class weights, per row)."""
    os.makedirs(out_dir, exist_ok=True)
    digits = max(5, len(str(len(latents) - 1)))
    np.save(os.path.join(out_dir, f"{prefix}z.npy"), latents)
    paths = []
    for start in range(0, len(latents), batch_size):
        given = () if labels is None else (labels[start:start + batch_size],)
        audio = generator.generate_int16(latents[start:start + batch_size], *given)
        paths += save_wavs(audio, out_dir, generator.sample_rate, start, digits, prefix)
        if print_fn:
            print_fn(f"wrote {len(paths)}/{len(latents)} files to {out_dir}")
    return paths


def save_wavs(audio: np.ndarray, out_dir: str, sample_rate: int, first_index: int, digits: int = 5,
              prefix: str = "") -> list[str]:
    """int16 clips [n, time(, channels)] → `<prefix><first_index + i>.wav`, 16-bit PCM; returns the paths."""
    paths = []
    for offset, clip in enumerate(audio):
        path = os.path.join(out_dir, f"{prefix}{first_index + offset:0{digits}d}.wav")
        soundfile.write(path, clip, sample_rate, subtype="PCM_16")
        paths.append(path)
    return paths


def numbered_wav_writer(source: str, out_dir: str | None, sample_rate: int, n: int,
                        print_fn: Callable[[str], None] = print
                        ) -> tuple[str, list[str], Callable[[int, np.ndarray], None]]:
    """For the autoregressive baselines' `generate`: the output folder (`<run>/generated` by default),
    the list of written paths, and a callback writing each batch of float clips as numbered int16 WAVs."""
    out_dir = out_dir or os.path.join(source if os.path.isdir(source) else os.path.dirname(source), "generated")
    os.makedirs(out_dir, exist_ok=True)
    paths: list[str] = []
    digits = max(5, len(str(n - 1)))

    def write(start: int, clips: np.ndarray) -> None:
        paths.extend(save_wavs(np.asarray(quantize_int16(clips)), out_dir, sample_rate, start, digits))
        print_fn(f"wrote {len(paths)}/{n} files to {out_dir}")

    return out_dir, paths, write


def write_labelled(generator: Generator, latents: np.ndarray, out_dir: str, label_args: list[str] | None,
                   walk: bool = False, batch_size: int = 64, print_fn: Callable[[str], None] | None = print
                   ) -> list[str]:
    """A conditional model's files: the latents rendered as each class asked for (by name or index; all
    by default) into `<Class>_<index>.wav`. With `walk` (latents along an interpolation) one class is kept
    along the way, and two classes are walked between as well (`<A>_to_<B>_<index>.wav`)."""
    if not generator.classes:
        raise UserError(f"{generator.source} is not label-conditional (trained without --data_labels): "
                        "drop --generate_label.")
    classes = generator.classes
    ids = [parse_label(text, classes) for text in label_args] if label_args else list(range(len(classes)))
    n = len(latents)
    if walk and len(ids) == 2 and label_args:
        weights = np.zeros((n, len(classes)), np.float32)
        along = np.linspace(0.0, 1.0, n, dtype=np.float32)
        weights[:, ids[0]] += 1.0 - along
        weights[:, ids[1]] += along
        prefix = f"{classes[ids[0]]}_to_{classes[ids[1]]}_"
        if print_fn:
            print_fn(f"Walking from {classes[ids[0]]} to {classes[ids[1]]} in {n} clips with {generator.source} "
                     f"(step {generator.step})")
        return write_wavs(generator, latents, out_dir, batch_size, prefix, print_fn, labels=weights)
    if walk and label_args and len(ids) > 2:
        raise UserError("With --generate_interp, --generate_label takes one class (kept along the walk) or two "
                        f"(walked between), not {len(ids)}.")
    if print_fn:
        print_fn(f"Generating {n} clips of each of {', '.join(classes[i] for i in ids)} with {generator.source} "
                 f"(step {generator.step})")
    paths = []
    for index in ids:
        paths += write_wavs(generator, latents, out_dir, batch_size, f"{classes[index]}_", print_fn,
                            labels=np.full(n, index, np.int32))
    return paths
