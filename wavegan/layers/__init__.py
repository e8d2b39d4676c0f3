"""The building blocks of both GANs' models (keras.ops only): the critic's activation, phase shuffle, label
conditioning, the strided convolutions in their fast forms, and the generator and critic skeletons."""

from wavegan.layers.activations import leaky_relu, leaky_relu_mask
from wavegan.layers.conditioning import ClassEmbedding, ProjectionHead, one_hot
from wavegan.layers.conv import (PolyphaseConv1DTranspose, StridedConv1D, StridedConv1DTranspose, inference_form,
                                 polyphase_kernel, polyphase_rows, training_conv_form, windows, with_dtype)
from wavegan.layers.phase_shuffle import PhaseShuffle
from wavegan.layers.stacks import LABEL_EMBED_DIM, DownsamplingDiscriminator, UpsamplingGenerator, build_layer

__all__ = ["ClassEmbedding", "DownsamplingDiscriminator", "LABEL_EMBED_DIM", "PhaseShuffle", "PolyphaseConv1DTranspose",
           "ProjectionHead", "StridedConv1D", "StridedConv1DTranspose", "UpsamplingGenerator", "build_layer",
           "inference_form", "leaky_relu", "leaky_relu_mask", "one_hot", "polyphase_kernel", "polyphase_rows",
           "training_conv_form", "windows", "with_dtype"]
