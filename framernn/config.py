"""Frame-level GRU settings (reference §B10), registered so that config.json files of its runs load."""

from __future__ import annotations

import dataclasses

from wavegan.errors import UserError

# Shared flags (wavegan/cli/flags.py) whose settings the frame GRU never reads (framernn/data.py's
# sequence_config sets the overlap to 0). train_framernn.py refuses them.
UNUSED_SHARED_FLAGS = {
    "data_overlap_ratio": "its training windows of --framernn_seq_len + 1 frames never overlap",
    "data_labels": "it is unconditional",
    "train_label_balance": "it is unconditional (there are no --data_labels classes to balance)",
    "data_prefetch_gpu_num": "that flag only exists so that the original WaveGAN's command lines run",
    "train_valid_classifier": "it is validated by its held-out loss, not by a distance between generated and "
                              "held-out clips",
}


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
