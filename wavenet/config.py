"""WaveNet settings (reference §B2.1, §4, §6): wavenet_params.json's keys plus the training flags,
registered so that config.json files of WaveNet runs load."""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from wavegan.errors import UserError

DEFAULT_PARAMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wavenet_params.json")
PARAM_KEYS = ("filter_width", "sample_rate", "dilations", "residual_channels", "dilation_channels",
              "quantization_channels", "skip_channels", "use_biases", "scalar_input", "initial_filter_width")
OPTIMIZERS = ("adam", "sgd", "rmsprop")
GC_SOURCES = ("prefix", "folder", "vctk")
# Shared flags (wavegan/cli/flags.py) whose settings the WaveNet never reads: wavenet/data.py cuts every file into
# its own pieces (piece_config overrides the slicing fields). train_wavenet.py refuses them.
UNUSED_SHARED_FLAGS = {
    "data_overlap_ratio": "its training pieces never overlap, each starting --wavenet_sample_size samples after "
                          "the previous one so that every sample is a target exactly once",
    "data_first_slice": "it trains on every piece of every file, or on whole files with --wavenet_sample_size 0",
    "data_pad_end": "it always keeps each file's last piece, zero-padded at the end",
    "data_labels": "it is conditioned through --wavenet_gc_channels and --wavenet_gc_from instead",
    "train_label_balance": "it draws each --wavenet_gc_channels category as often as the data has it",
    "data_prefetch_gpu_num": "that flag only exists so that the original WaveGAN's command lines run",
    "train_valid_classifier": "it is validated by its held-out loss, not by a distance between generated and "
                              "held-out clips",
}


@dataclasses.dataclass
class WaveNetConfig:
    # wavenet_params.json (sample_rate lives in the run's DataConfig)
    filter_width: int = 2
    dilations: list = dataclasses.field(default_factory=lambda: [2 ** i for i in range(10)] * 5)
    residual_channels: int = 32
    dilation_channels: int = 32
    quantization_channels: int = 256
    skip_channels: int = 512
    use_biases: bool = True
    scalar_input: bool = False
    initial_filter_width: int = 32
    # global conditioning: 0 channels = off; categories are the sorted names found in the data
    gc_channels: int = 0
    gc_source: str = "prefix"
    gc_categories: list = dataclasses.field(default_factory=list)
    # train.py's flags
    sample_size: int = 100000
    silence_threshold: float = 0.3
    learning_rate: float = 1e-3
    optimizer: str = "adam"
    momentum: float = 0.9
    l2_regularization_strength: float = 0.0

    # Settings that change how training proceeds but not the variables: may differ on resume.
    BEHAVIOUR_ONLY = ("sample_size", "silence_threshold", "learning_rate", "momentum", "l2_regularization_strength")

    @property
    def receptive_field(self) -> int:
        """reference §B2.4: (k − 1)·Σd + 1 + (initial width − 1 or k − 1)."""
        first = self.initial_filter_width if self.scalar_input else self.filter_width
        return (self.filter_width - 1) * sum(self.dilations) + 1 + (first - 1)

    @property
    def gc_cardinality(self) -> int:
        if self.gc_source == "vctk":  # ids are the speaker numbers, as the original's max id + 1
            return max(int(c) for c in self.gc_categories) + 1 if self.gc_categories else 0
        return len(self.gc_categories)

    def validate(self) -> "WaveNetConfig":
        for name in ("filter_width", "residual_channels", "dilation_channels", "skip_channels", "initial_filter_width"):
            if getattr(self, name) < 1:
                raise UserError(f"wavenet_params {name} must be at least 1, not {getattr(self, name)}.")
        if self.quantization_channels < 2:
            raise UserError(f"wavenet_params quantization_channels must be at least 2, not {self.quantization_channels}.")
        if not self.dilations or any(int(d) < 1 for d in self.dilations):
            raise UserError(f"wavenet_params dilations must be a non-empty list of positive integers, not {self.dilations}.")
        if self.sample_size < 0:
            raise UserError(f"--wavenet_sample_size must be 0 (whole files) or more, not {self.sample_size}.")
        if self.optimizer not in OPTIMIZERS:
            raise UserError(f"--wavenet_optimizer must be one of {OPTIMIZERS}, not {self.optimizer!r}.")
        if self.gc_channels < 0:
            raise UserError(f"--wavenet_gc_channels must be 0 (off) or more, not {self.gc_channels}.")
        if self.gc_source not in GC_SOURCES:
            raise UserError(f"--wavenet_gc_from must be one of {GC_SOURCES}, not {self.gc_source!r}.")
        if self.learning_rate <= 0:
            raise UserError(f"--wavenet_learning_rate must be positive, not {self.learning_rate}.")
        return self

    def model_kwargs(self) -> dict[str, Any]:
        return dict(dilations=list(self.dilations), filter_width=self.filter_width,
                    residual_channels=self.residual_channels, dilation_channels=self.dilation_channels,
                    skip_channels=self.skip_channels, quantization_channels=self.quantization_channels,
                    use_biases=self.use_biases, scalar_input=self.scalar_input,
                    initial_filter_width=self.initial_filter_width, gc_channels=self.gc_channels,
                    gc_cardinality=self.gc_cardinality)


def read_params(path: str) -> dict[str, Any]:
    """A wavenet_params.json; unknown keys are refused so that a typo cannot pass silently."""
    try:
        with open(path) as f:
            params = json.load(f)
    except (OSError, ValueError) as e:
        raise UserError(f"Cannot read --wavenet_params {path} ({e}): pass a JSON file like wavenet/wavenet_params.json.")
    unknown = sorted(set(params) - set(PARAM_KEYS))
    if unknown:
        raise UserError(f"--wavenet_params {path} has unknown keys {unknown}: the keys are {list(PARAM_KEYS)}.")
    return params
