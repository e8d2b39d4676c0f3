"""The building blocks of both GANs' models (keras.ops only): the critic's activation, phase shuffle, label
conditioning, the strided convolutions in their fast forms, and the generator and critic skeletons.

Names are imported from their modules on first use (PEP 562), so that a module needing one block (the
export's `with_dtype`) does not load the GANs' skeletons with it.
"""

import importlib

_LAZY = {
    "leaky_relu": "activations", "leaky_relu_mask": "activations",
    "ClassEmbedding": "conditioning", "ProjectionHead": "conditioning", "one_hot": "conditioning",
    "PolyphaseConv1DTranspose": "conv", "StridedConv1D": "conv", "StridedConv1DTranspose": "conv",
    "inference_form": "conv", "polyphase_kernel": "conv", "polyphase_rows": "conv", "training_conv_form": "conv",
    "windows": "conv", "with_dtype": "conv",
    "PhaseShuffle": "phase_shuffle",
    "LABEL_EMBED_DIM": "stacks", "DownsamplingDiscriminator": "stacks", "UpsamplingGenerator": "stacks",
    "build_layer": "stacks",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"wavegan.layers.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'wavegan.layers' has no attribute {name!r}")
