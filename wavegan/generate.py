"""Write generated audio as 16-bit WAV files, from a train dir, a checkpoint or an exported SavedModel.

Generation runs in fixed-size batches and each batch is written before the next is made, so memory
stays flat for any number of files (the paper's protocol scores 50,000). The latents of every file are
saved (`z.npy`, row i → file i), so any two can later be interpolated (a request in the original's
issue tracker).
"""

from __future__ import annotations

import dataclasses
import os
from typing import Callable

import numpy as np
import soundfile
import tensorflow as tf

from wavegan import checkpoints
from wavegan.config import CONFIG_FILE
from wavegan.errors import UserError
from wavegan.export import INFO_FILE, quantize_int16, read_export_info
from wavegan.gan import GanKind


@dataclasses.dataclass
class Generator:
    """Anything that maps latents to int16 audio, with the facts needed to write it."""

    generate_int16: Callable[[np.ndarray], np.ndarray]
    latent_dim: int
    sample_rate: int
    step: int
    source: str


def open_generator(source: str, make_kind: Callable[[str], GanKind]) -> Generator:
    """`source` is a SavedModel folder (holding wavegan.json), a train dir, or a checkpoint prefix.

    `make_kind(train_dir)` gives the GAN's models and renderer (SpecGAN's needs the run's moments).
    """
    if os.path.isfile(os.path.join(source, INFO_FILE)):
        info = read_export_info(source)
        serving = tf.saved_model.load(source).signatures["serving_default"]
        # Inputs besides z (SpecGAN's ngl) take the values recorded at export.
        extra = {name: tf.constant(info[name]) for name in serving.structured_input_signature[1] if name != "z"}
        return Generator(lambda z: serving(z=tf.constant(z), **extra)["G_z_int16"].numpy(),
                         int(info["latent_dim"]), int(info["sample_rate"]), int(info["step"]), source)
    if os.path.isdir(source):
        train_dir, checkpoint = source, None
    elif tf.io.gfile.exists(source + ".index"):
        # A checkpoint in the train dir, or one level down (incept/best_score-<step>).
        folder = os.path.dirname(source) or "."
        train_dir = folder if os.path.exists(os.path.join(folder, CONFIG_FILE)) else os.path.dirname(folder)
        checkpoint = source
    else:
        raise UserError(f"{source} is neither a SavedModel folder, a train dir nor a checkpoint prefix.")
    kind = make_kind(train_dir)
    generator, run, step = checkpoints.load_generator(train_dir, kind.build_generator, checkpoint)

    def generate_int16(z: np.ndarray) -> np.ndarray:
        audio = kind.renderer.to_audio(generator(z, training=False), *kind.renderer.defaults)
        return np.asarray(quantize_int16(audio))

    return Generator(generate_int16, run.model.latent_dim, run.data.sample_rate, step,
                     checkpoint or checkpoints.latest_checkpoint(train_dir))


def sample_latents(n: int, latent_dim: int, seed: int | None) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.0, 1.0, (n, latent_dim)).astype(np.float32)


def fixed_latents(path: str, n: int, latent_dim: int) -> np.ndarray:
    """Latents kept for the life of a run (preview, incept): loaded from `path` (.npy), else drawn and saved."""
    if os.path.exists(path):
        return load_latents(path, latent_dim)
    latents = sample_latents(n, latent_dim, seed=None)
    np.save(path + ".tmp.npy", latents)
    os.replace(path + ".tmp.npy", path)
    return latents


def interpolate(z_a: np.ndarray, z_b: np.ndarray, n: int) -> np.ndarray:
    """n latents on the straight line from z_a to z_b, both ends included (U(−1,1)^d is convex)."""
    weights = np.linspace(0.0, 1.0, n, dtype=np.float32)[:, None]
    return (1.0 - weights) * z_a[None] + weights * z_b[None]


def write_wavs(generator: Generator, latents: np.ndarray, out_dir: str, batch_size: int = 64,
               prefix: str = "", print_fn: Callable[[str], None] | None = None) -> list[str]:
    """Writes one 16-bit WAV per latent row (`<prefix><index>.wav`) and `<prefix>z.npy`."""
    os.makedirs(out_dir, exist_ok=True)
    digits = max(5, len(str(len(latents) - 1)))
    np.save(os.path.join(out_dir, f"{prefix}z.npy"), latents)
    paths = []
    for start in range(0, len(latents), batch_size):
        audio = generator.generate_int16(latents[start:start + batch_size])
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


def load_latents(path: str, latent_dim: int) -> np.ndarray:
    """A .npy of latents [n, latent_dim] (e.g. a z.npy written here, or the preview's)."""
    try:
        latents = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise UserError(f"Cannot read latents from {path} ({e}): pass a .npy array of shape [n, {latent_dim}].") from e
    if latents.ndim != 2 or latents.shape[1] != latent_dim:
        raise UserError(f"{path} holds an array of shape {latents.shape}; the model needs [n, {latent_dim}].")
    return latents.astype(np.float32)
