"""The next-frame GRU (reference §B10): frames [B, n, F] → stacked GRUs → linear Dense → next frames [B, n, F]."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="framernn")
class FrameRNN(keras.Model):
    """Output step i predicts frame i + 1. `step` advances every layer by one frame from given states
    (generation); `call` runs whole sequences from zero states (training)."""

    def __init__(self, frame_size: int = 800, units: int = 256, layers: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.frame_size, self.units, self.num_layers = frame_size, units, layers
        self.grus = [keras.layers.GRU(units, return_sequences=True, return_state=True, name=f"gru{i}")
                     for i in range(layers)]
        self.out = keras.layers.Dense(frame_size, name="next_frame")

    def call(self, frames):
        x = frames
        for gru in self.grus:
            x, _ = gru(x)
        return self.out(x)

    def step(self, frames, states):
        """frames [B, k, F] and one state [B, units] per layer → (predictions [B, k, F], new states)."""
        x, new_states = frames, []
        for gru, state in zip(self.grus, states):
            x, state = gru(x, initial_state=state)
            new_states.append(state)
        return self.out(x), new_states

    def zero_states(self, batch: int):
        return [ops.zeros((batch, self.units)) for _ in self.grus]

    def build_for(self) -> "FrameRNN":
        self(ops.zeros((1, 2, self.frame_size)))
        return self

    def get_config(self):
        return {**super().get_config(), "frame_size": self.frame_size, "units": self.units, "layers": self.num_layers}
