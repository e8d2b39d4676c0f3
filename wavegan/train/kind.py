"""What differs between WaveGAN and SpecGAN, in one object the shared machinery takes.

The trainer, checkpoints, summaries, preview, export and generate code is the same for both GANs; a
`GanKind` tells it how to build the two models, what the critic sees of a real audio batch, and how
generator output becomes audio (identity for WaveGAN, Griffin-Lim for SpecGAN).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Callable

import keras

from wavegan.audio.pcm import quantize_int16
from wavegan.config import RunConfig

if TYPE_CHECKING:  # in annotations only: building models needs no TensorFlow (the GPU kit has none)
    import tensorflow as tf


class Renderer:
    """Generator output → audio. WaveGAN's generator already makes audio."""

    # Extra inputs of the exported signatures, after z (SpecGAN: ngl); `defaults` are used elsewhere.
    extra_inputs: tuple[tf.TensorSpec, ...] = ()
    defaults: tuple = ()

    def to_audio(self, generated, *extra):
        return generated

    def to_image(self, generated):
        """uint8 images for TensorBoard, or None when the output is not an image."""
        return None

    def export_outputs(self, generated, *extra) -> dict:
        audio = self.to_audio(generated, *extra)
        return {"G_z": audio, "G_z_int16": quantize_int16(audio)}


@dataclasses.dataclass
class GanKind:
    name: str
    build_generator: Callable[[RunConfig], keras.Model]
    build_discriminator: Callable[[RunConfig], keras.Model]
    critic_input_shape: Callable[[RunConfig], tuple]
    # Real audio batch [..., slice_len, channels] → what the critic sees (None: the audio itself).
    to_critic_input: Callable[[tf.Tensor], tf.Tensor] | None = None
    renderer: Renderer = dataclasses.field(default_factory=Renderer)
