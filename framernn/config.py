"""Frame-level GRU settings (BASELINES.md §10), registered so that config.json files of its runs load."""

from __future__ import annotations

import dataclasses

from wavegan.config import MODEL_CONFIGS
from wavegan.errors import UserError


@dataclasses.dataclass
class FrameRNNConfig:
    frame_size: int = 800        # samples per frame (the post tried 40 … 40000)
    seq_len: int = 50            # predicted frames per training sequence (the post tried 50 … 10000)
    units: int = 256             # per GRU layer; the post's "(199, 256)" read as its larger size, both layers
    layers: int = 2
    learning_rate: float = 1e-3  # unspecified in the post: Adam's default
    clipnorm: float = 1.0        # unspecified in the post: keeps the recurrent gradients finite

    BEHAVIOUR_ONLY = ("seq_len", "learning_rate", "clipnorm")

    @property
    def window(self) -> int:
        """Samples of one training sequence: seq_len inputs plus the one frame the last of them predicts."""
        return (self.seq_len + 1) * self.frame_size

    def validate(self) -> "FrameRNNConfig":
        for name in ("frame_size", "seq_len", "units", "layers"):
            if getattr(self, name) < 1:
                raise UserError(f"--framernn_{name} must be at least 1, not {getattr(self, name)}.")
        if self.learning_rate <= 0:
            raise UserError(f"--framernn_learning_rate must be positive, not {self.learning_rate}.")
        return self


MODEL_CONFIGS["framernn"] = FrameRNNConfig
