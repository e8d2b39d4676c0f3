"""SpecGAN as a GanKind: spectrogram critic input, Griffin-Lim rendering, moments baked in."""

from __future__ import annotations

import os
import shutil

import tensorflow as tf

from specgan import transforms
from specgan.models import SpecGANDiscriminator, SpecGANGenerator
from wavegan import storage
from wavegan.errors import UserError
from wavegan.audio.pcm import quantize_int16
from wavegan.train.kind import GanKind, Renderer


class SpectrogramRenderer(Renderer):
    """Normalised spectrogram → audio by Griffin-Lim; exports G_z_norm and its image too (reference §8)."""

    extra_inputs = (tf.TensorSpec([], tf.int32, name="ngl"),)

    def __init__(self, moments: transforms.Moments, ngl: int):
        self.moments, self.defaults = moments, (ngl,)

    def to_audio(self, generated, ngl):
        return transforms.spectrogram_to_audio(generated, self.moments.mean, self.moments.std, ngl)

    def to_image(self, generated):
        return transforms.spectrogram_to_image(generated)

    def export_outputs(self, generated, ngl) -> dict:
        audio = self.to_audio(generated, ngl)
        return {"G_z_norm": generated, "G_z_norm_uint8": self.to_image(generated),
                "G_z": audio, "G_z_int16": quantize_int16(audio)}


def specgan_kind(moments: transforms.Moments, ngl: int = 16) -> GanKind:
    return GanKind(
        name="specgan",
        build_generator=lambda run: SpecGANGenerator(**run.model.generator_kwargs(run.data), name="G"),
        build_discriminator=lambda run: SpecGANDiscriminator(**run.model.discriminator_kwargs(run.data), name="D"),
        critic_input_shape=lambda run: (128, 128, 1),
        to_critic_input=lambda audio: transforms.audio_to_spectrogram(audio, moments.mean, moments.std),
        renderer=SpectrogramRenderer(moments, ngl))


def run_moments_path(train_dir: str) -> str:
    return os.path.join(train_dir, transforms.MOMENTS_FILE)


def adopt_moments(train_dir: str, moments_fp: str | None, write: bool = True) -> transforms.Moments:
    """The run's moments, kept in the train dir so every later mode uses the ones it was trained with.

    The first train run copies --data_moments_fp there; a resume may omit the flag, and passing a file
    with other moments is refused. `write=False` (a worker that is not the chief) only reads.
    """
    own = run_moments_path(train_dir)
    if os.path.exists(own):
        moments = transforms.Moments.load(own)
        if moments_fp and not transforms.Moments.load(moments_fp).equals(moments):
            raise UserError(f"{moments_fp} differs from the moments {train_dir} was trained with ({own}): "
                            "drop --data_moments_fp to resume, or choose a new train_dir.")
        return moments
    if not moments_fp:
        raise UserError("SpecGAN needs the dataset's moments: run `python train_specgan.py moments TRAIN_DIR "
                        "--data_dir ... --data_moments_fp FILE` first, then pass --data_moments_fp FILE.")
    moments = transforms.Moments.load(moments_fp)
    if not write:
        return moments
    try:
        os.makedirs(train_dir, exist_ok=True)
        shutil.copyfile(moments_fp, own + ".partial")
        os.replace(own + ".partial", own)
    except OSError as e:
        storage.remove_quietly(own + ".partial")
        raise storage.failure(e, f"copying the moments to {own}", own) or e
    return moments


def kind_for_run(train_dir: str) -> GanKind:
    """The GanKind of an existing SpecGAN run (moments from its train dir, ngl from its config)."""
    from wavegan.config import load_run_config

    run = load_run_config(train_dir, "specgan")
    return specgan_kind(transforms.Moments.load(run_moments_path(train_dir)), run.model.ngl)


def compute_moments(examples: tf.data.Dataset, limit: int | None, print_fn=print) -> transforms.Moments:
    """One streaming pass over (at most `limit`) slices: per-bin moments of their log-magnitude frames."""
    import keras

    if limit:
        examples = examples.take(limit)
    frames = examples.batch(64).map(transforms.log_magnitude, num_parallel_calls=tf.data.AUTOTUNE).prefetch(2)
    progress = keras.utils.Progbar(limit, unit_name="slice")
    seen = 0

    def batches():
        nonlocal seen
        for batch in frames.as_numpy_iterator():
            seen += len(batch)
            progress.update(seen)
            yield batch

    moments = transforms.Moments.from_frames(batches())
    print_fn(f"\nMoments of {seen} slices ({seen * 128} frames).")
    return moments

