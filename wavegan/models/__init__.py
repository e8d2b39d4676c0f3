"""The paper's WaveGAN: its generator and critic, its settings, and its registration as a model kind.

The models are imported on first use (PEP 562), so that reading the registration (`kind.py`) loads
neither Keras nor TensorFlow: a script's --help and flag parsing stay fast and quiet.
"""

import importlib

_LAZY = {"WaveGANGenerator": "generator", "layer_plan": "generator", "WaveGANDiscriminator": "discriminator"}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"wavegan.models.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'wavegan.models' has no attribute {name!r}")
