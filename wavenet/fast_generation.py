"""Fast WaveNet generation (BASELINES.md §7.2, after fast-wavenet): per-layer caches, O(layers) per sample.

With filter width 2, layer ℓ (dilation d) at time t needs its input at t and at t − d only. Each layer
keeps a ring buffer of d entries; what it stores for time t is not the input x(t) itself but the part
of the layer's pre-activation that x(t) will contribute at t + d (x(t)·W_tap0 + bias + conditioning),
computed by the same matmul that applies W_tap1 to x(t) now. All clips of a batch step together, so
the per-sample cost is a fixed number of small matmuls per layer plus one matmul for the skip
projections of every layer at once (their sum is a single [L·Dc, S] product) and the output head.

Numerically folded, exactly equivalent forms (to cut the operations per sample):
- σ(g) = (1 + tanh(g/2)) / 2: the gate's weights are halved and one tanh covers filter and gate; the
  factor 1/2 moves into the dense and skip weights.
- The residual stream is kept minus the running sum of the dense biases; their effect on the next
  layers' pre-activations is a constant folded into the stored entries.

Written with numpy: on a CPU one sample costs a few hundred tiny operations, where a framework's
per-operation overhead would dominate.
"""

from __future__ import annotations

import numpy as np

from wavegan.errors import UserError


def _array(variable) -> np.ndarray:
    return np.asarray(variable.numpy() if hasattr(variable, "numpy") else variable, np.float32)


class FastGenerator:
    """Holds the folded weights of a trained WaveNet; `start` primes caches, `step` advances one sample."""

    def __init__(self, model):
        if model.filter_width != 2 or model.scalar_input:
            raise UserError("Fast generation needs filter_width 2 and one-hot input (as the original): "
                            "pass --generate_fast=false for this model.")
        self.model = model
        self.dilations = model.dilations
        r, dc = model.residual_channels, model.dilation_channels
        self.r, self.dc = r, dc
        causal = _array(model.causal_layer.kernel)  # [2, Q, R]: rows of one-hot products
        self.causal_old, self.causal_new = causal[0].copy(), causal[1].copy()
        half_gate = np.concatenate([np.ones(dc, np.float32), np.full(dc, 0.5, np.float32)])
        self.weights, self.gc_weights, self.consts = [], [], []
        offset = np.zeros(r, np.float32)  # running sum of the dense biases before layer ℓ
        dense, skips, skip_bias = [], [], np.zeros(model.skip_channels, np.float32)
        for block in model.blocks:
            kernel = np.concatenate([_array(block.filter), _array(block.gate)], axis=-1) * half_gate  # [2, R, 2Dc]
            # One matmul gives this sample's contribution (tap 1) and the one stored for t + d (tap 0).
            self.weights.append(np.ascontiguousarray(np.concatenate([kernel[1], kernel[0]], axis=1)))
            bias = (np.concatenate([_array(block.filter_bias), _array(block.gate_bias)]) * half_gate
                    if model.use_biases else np.zeros(2 * dc, np.float32))
            self.consts.append(bias + offset @ (kernel[0] + kernel[1]))
            if model.gc_channels:
                self.gc_weights.append(np.concatenate([_array(block.gc_filter), _array(block.gc_gate)], -1) * half_gate)
            dense.append(_array(block.dense) * 0.5)
            skips.append(_array(block.skip) * 0.5)
            if model.use_biases:
                offset = offset + _array(block.dense_bias)
                skip_bias = skip_bias + _array(block.skip_bias)
        self.offsets = self._offsets(model)
        self.dense = dense
        self.skip = np.ascontiguousarray(np.concatenate(skips, axis=0))  # [L·Dc, S]
        self.skip_bias = skip_bias
        self.post1, self.post2 = _array(model.postprocess1.kernel), _array(model.postprocess2.kernel)
        zeros = lambda n: np.zeros(n, np.float32)
        self.post1_bias = _array(model.postprocess1.bias) if model.use_biases else zeros(self.post1.shape[1])
        self.post2_bias = _array(model.postprocess2.bias) if model.use_biases else zeros(self.post2.shape[1])
        self.embedding = _array(model.gc_embedding) if model.gc_channels else None

    @staticmethod
    def _offsets(model) -> list[np.ndarray]:
        offsets, offset = [], np.zeros(model.residual_channels, np.float32)
        for block in model.blocks:
            offsets.append(offset)
            if model.use_biases:
                offset = offset + _array(block.dense_bias)
        return offsets

    def start(self, context: np.ndarray, ids: np.ndarray | None = None) -> None:
        """Primes every cache from `context` [B, RF − 1] (the classes before the first step's input) with
        one pass of the training network, as if those samples had been fed one by one."""
        batch = context.shape[0]
        self.batch, self.t = batch, 0
        rf = self.model.receptive_field
        if context.shape[1] != rf - 1:
            raise ValueError(f"context must hold receptive_field − 1 = {rf - 1} samples")
        consts = [np.broadcast_to(c, (batch, 2 * self.dc)).copy() for c in self.consts]
        if self.model.gc_channels:
            embedding = self.embedding[ids]
            for const, gc in zip(consts, self.gc_weights):
                const += embedding @ gc
        self.batch_consts = consts
        _, block_inputs = self.model.forward(self.model.example_inputs(context, ids), collect_inputs=True)
        self.caches = []
        for d, x, offset, weight, const in zip(self.dilations, block_inputs, self.offsets, self.weights, consts):
            # Slot (t mod d) holds the entry for time t; the newest d inputs are times −d … −1.
            recent = np.asarray(x)[:, -d:] - offset  # [B, d, R]
            entries = recent @ weight[:, 2 * self.dc:] + const[:, None]
            cache = np.empty((d, batch, 2 * self.dc), np.float32)
            cache[np.arange(-d, 0) % d] = entries.transpose(1, 0, 2)
            self.caches.append(cache)
        self.previous = np.ascontiguousarray(context[:, -1])
        self._buffers()

    def _buffers(self) -> None:
        b, r, dc, L = self.batch, self.r, self.dc, len(self.dilations)
        self.x, self.tmp = np.empty((b, r), np.float32), np.empty((b, r), np.float32)
        self.pre = np.empty((b, 4 * dc), np.float32)
        self.h = np.empty((b, 2 * dc), np.float32)
        self.z = np.empty((b, L * dc), np.float32)
        self.z_views = [self.z[:, i * dc:(i + 1) * dc] for i in range(L)]
        self.hidden = np.empty((b, self.skip.shape[1]), np.float32)
        self.hidden2 = np.empty((b, self.post1.shape[1]), np.float32)
        self.logits = np.empty((b, self.post2.shape[1]), np.float32)

    def step(self, classes: np.ndarray) -> np.ndarray:
        """Feeds the newest class of every clip [B]; returns the logits of the next sample [B, Q]."""
        dc, t = self.dc, self.t
        x, tmp, pre, h = self.x, self.tmp, self.pre, self.h
        np.add(self.causal_old[self.previous], self.causal_new[classes], out=x)
        now, later, filt, gate = pre[:, :2 * dc], pre[:, 2 * dc:], h[:, :dc], h[:, dc:]
        last = len(self.dilations) - 1
        for i, (d, weight, cache, const) in enumerate(zip(self.dilations, self.weights, self.caches,
                                                          self.batch_consts)):
            entry = cache[t % d]
            np.matmul(x, weight, out=pre)
            np.add(now, entry, out=h)
            np.add(later, const, out=entry)
            np.tanh(h, out=h)
            np.add(gate, 1.0, out=gate)
            z = self.z_views[i]
            np.multiply(filt, gate, out=z)
            if i != last:  # the last block's residual output is never used (§2.3)
                np.matmul(z, self.dense[i], out=tmp)
                np.add(x, tmp, out=x)
        np.matmul(self.z, self.skip, out=self.hidden)
        np.add(self.hidden, self.skip_bias, out=self.hidden)
        np.maximum(self.hidden, 0.0, out=self.hidden)
        np.matmul(self.hidden, self.post1, out=self.hidden2)
        np.add(self.hidden2, self.post1_bias, out=self.hidden2)
        np.maximum(self.hidden2, 0.0, out=self.hidden2)
        np.matmul(self.hidden2, self.post2, out=self.logits)
        np.add(self.logits, self.post2_bias, out=self.logits)
        self.previous = classes
        self.t = t + 1
        return self.logits
