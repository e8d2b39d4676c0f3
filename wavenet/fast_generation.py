"""Fast WaveNet generation (reference §B7.2, after fast-wavenet): per-layer caches, O(layers) per sample.

With filter width 2, layer ℓ (dilation d) at time t needs its input at t and at t − d only, so each
layer keeps a ring buffer of its last d inputs. All clips of a batch step together: per sample, a fixed
number of small matmuls per layer, then one matmul for the skip projections of every layer at once
(their sum is a single [L·Dc, S] product) and the output head.

Numerically folded, exactly equivalent forms (to cut the operations per sample):
- σ(g) = (1 + tanh(g/2)) / 2: the gate's weights are halved and one tanh covers filter and gate; the
  factor 1/2 moves into the dense and skip weights.
- The residual stream is kept minus the running sum of the dense biases; their effect on the next
  layers' pre-activations is a constant, folded with the biases and the conditioning into the products
  (a constant-1 column).

FastGenerator is numpy (the generate mode): on a CPU one sample costs a few hundred tiny operations,
where a framework's per-operation overhead would dominate; at batch 1 its time is about half numpy call
overhead and half reading the weights (6.7 MB per sample at the default size) from the L3 cache.
Its caches hold past inputs, all layers' rings in one array (read and written for every layer with one
call each); its two forms of the per-layer work are in `FastGenerator._fuse`. GraphFastGenerator runs
the same folded weights in one tf.while_loop, for the SavedModel; its caches hold the tap-0
contribution x(t)·W_tap0 + constants instead, computed by the same matmul that applies W_tap1 now.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from wavegan.errors import UserError


# Batches up to this size step with the fused form (FastGenerator._fuse): fewer numpy calls, more
# multiply-adds. Timed at the default size (one BLAS thread): fused 3 % faster than lean at batch 1 and
# 2, lean 1–7 % faster from batch 4 to 64.
FUSED_MAX_BATCH = 2


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
        self._fuse()

    @staticmethod
    def _offsets(model) -> list[np.ndarray]:
        offsets, offset = [], np.zeros(model.residual_channels, np.float32)
        for block in model.blocks:
            offsets.append(offset)
            if model.use_biases:
                offset = offset + _array(block.dense_bias)
        return offsets

    def _fuse(self) -> None:
        """The step's weights, in two forms (see `step`), constants folded into the products.

        Every layer has a row per clip: [z_ℓ | 1 | embedding | x(t − d) | x_ℓ | h_ℓ], h the filter and gate
        pre-activations. The caches hold each layer's past inputs x (one ring per layer, all in one
        array, read and written for every layer at once).

        Lean (many clips, where multiply-adds dominate): h_ℓ = [1 | emb | x_ℓ(t − d) | x_ℓ] · taps_ℓ, then
        x_ℓ₊₁ = x_ℓ + z_ℓ·D_ℓ: two matmuls and four elementwise calls per layer.
        Fused (few clips, where each numpy call's microsecond dominates): [z_ℓ | 1 | emb | x_ℓ₊₁(t − d) | x_ℓ]
        · M_ℓ gives the next row's [x_ℓ₊₁ | h_ℓ₊₁] at once (x_ℓ₊₁·W1 = x_ℓ·W1 + z_ℓ·(D_ℓ·W1), precomputed in
        float64), so x(t − d) of layer ℓ + 1 sits in row ℓ, and a row −1 (x₀ from the causal layer, z = 0)
        gives layer 0 its h: one matmul and three elementwise calls per layer, for 1.8× the
        multiply-adds."""
        r, dc, g = self.r, self.dc, self.model.gc_channels
        f64 = lambda a: np.asarray(a, np.float64)
        c = dc + 1 + g  # x(t − d) starts here
        self.col_z, self.col_emb = slice(0, dc), slice(dc + 1, c)
        self.col_old, self.col_x = slice(c, c + r), slice(c + r, c + 2 * r)
        self.col_h = slice(c + 2 * r, c + 2 * r + 2 * dc)
        self.col_fused_in, self.col_fused_out = slice(0, c + 2 * r), slice(c + r, c + 2 * r + 2 * dc)
        self.col_lean_in = slice(dc, c + 2 * r)
        self.width = c + 2 * r + 2 * dc
        lean, fused = [], []
        for i in range(len(self.dilations)):
            taps = f64(self.weights[i])
            w1, w0 = taps[:, :2 * dc], taps[:, 2 * dc:]
            m = np.zeros((c + 2 * r, r + 2 * dc))  # rows [z | 1 | emb | x(t − d) | x], columns [x | h]
            m[dc, r:] = self.consts[i]
            if g:
                m[dc + 1:c, r:] = self.gc_weights[i]
            if i > 0:
                dense = f64(self.dense[i - 1])
                m[:dc] = np.concatenate([dense, dense @ w1], axis=1)
            m[c:c + r, r:] = w0
            m[c + r:, :r] = np.eye(r)
            m[c + r:, r:] = w1
            fused.append(m)
            lean.append(m[dc:, r:])
        # One block of memory each, in the order the step reads it (the prefetcher streams on).
        self.fused, self.lean = list(np.array(fused, np.float32)), list(np.array(lean, np.float32))
        self.dense_f32 = [np.ascontiguousarray(w) for w in self.dense]
        d = np.asarray(self.dilations, np.int64)
        self.ring_dilations, self.ring_base = d, np.concatenate([[0], np.cumsum(d)[:-1]])
        # Biases as a last row against a constant-1 column.
        self.skip_ext = np.concatenate([self.skip, self.skip_bias[None]]).astype(np.float32)
        self.post1_ext = np.concatenate([self.post1, self.post1_bias[None]]).astype(np.float32)
        self.post2_ext = np.concatenate([self.post2, self.post2_bias[None]]).astype(np.float32)
        self.skip_width, self.post1_width = self.skip.shape[1], self.post1.shape[1]

    def start(self, context: np.ndarray, ids: np.ndarray | None = None) -> None:
        """Primes every cache from `context` [B, RF − 1] (the classes before the first step's input) with
        one pass of the training network, as if those samples had been fed one by one."""
        batch = context.shape[0]
        self.batch, self.t = batch, 0
        rf = self.model.receptive_field
        if context.shape[1] != rf - 1:
            raise ValueError(f"context must hold receptive_field − 1 = {rf - 1} samples")
        _, block_inputs = self.model.forward(self.model.example_inputs(context, ids), collect_inputs=True)
        # Layer ℓ's ring: rows base_ℓ … base_ℓ + d_ℓ − 1, row base_ℓ + (t mod d_ℓ) holds x_ℓ(t) (minus the
        # dense biases' running sum); the newest d inputs are times −d … −1.
        self.ring = np.empty((int(self.ring_dilations.sum()), batch, self.r), np.float32)
        for d, base, x, offset in zip(self.dilations, self.ring_base, block_inputs, self.offsets):
            self.ring[base + np.arange(-d, 0) % d] = (np.asarray(x)[:, -d:] - offset).transpose(1, 0, 2)
        self.previous = np.ascontiguousarray(context[:, -1])
        self._buffers(self.embedding[ids] if self.model.gc_channels else None)

    def _buffers(self, embedding: np.ndarray | None) -> None:
        b, dc, L = self.batch, self.dc, len(self.dilations)
        self.fused_step = b <= FUSED_MAX_BATCH
        rows = np.zeros((L + 1, b, self.width), np.float32)  # rows[ℓ + 1] is layer ℓ's row, rows[0] row −1
        rows[:, :, dc] = 1.0
        if embedding is not None:
            rows[:, :, self.col_emb] = embedding
        self.slots = np.empty(L, np.int64)
        self.old_inputs = (rows[:L] if self.fused_step else rows[1:])[:, :, self.col_old]
        self.new_inputs = rows[1:, :, self.col_x]
        self.first_x = rows[0 if self.fused_step else 1][:, self.col_x]
        self.z = np.ones((b, L * dc + 1), np.float32)  # every layer's z, and a 1 for the skip bias
        self.z_layers = self.z[:, :L * dc].reshape(b, L, dc)
        self.z_rows = rows[1:, :, self.col_z].transpose(1, 0, 2)
        self.hidden = np.ones((b, self.skip_width + 1), np.float32)
        self.hidden2 = np.ones((b, self.post1_width + 1), np.float32)
        self.logits = np.empty((b, self.post2_ext.shape[1]), np.float32)
        self.tmp = np.empty((b, self.r), np.float32)
        # The lean form computes h and z in buffers of their own: contiguous, as many clips make them long.
        lean_h = None if self.fused_step else np.empty((L, b, 2 * dc), np.float32)
        plan = []
        for i in range(L):
            row = rows[i + 1]
            if self.fused_step:
                h = row[:, self.col_h]
                plan.append((h, h[:, :dc], h[:, dc:], row[:, self.col_z], row[:, self.col_fused_in],
                             self.fused[i + 1] if i < L - 1 else None,
                             rows[i + 2][:, self.col_fused_out] if i < L - 1 else None))
            else:
                h = lean_h[i]
                plan.append((row[:, self.col_lean_in], self.lean[i], h, h[:, :dc], h[:, dc:], self.z_layers[:, i])
                            + ((row[:, self.col_x], self.dense_f32[i], rows[i + 2][:, self.col_x]) if i < L - 1
                               else (None, None, None)))
        self.plan, self.last = plan[:-1], plan[-1]
        self.first = (rows[0][:, self.col_fused_in], self.fused[0], rows[1][:, self.col_fused_out])

    def step(self, classes: np.ndarray) -> np.ndarray:
        """Feeds the newest class of every clip [B]; returns the logits of the next sample [B, Q]."""
        add, tanh, multiply, matmul = np.add, np.tanh, np.multiply, np.matmul
        slots = self.slots
        np.remainder(self.t, self.ring_dilations, out=slots)
        add(slots, self.ring_base, out=slots)
        self.old_inputs[...] = self.ring[slots]  # every layer's input d samples ago
        add(self.causal_old[self.previous], self.causal_new[classes], out=self.first_x)
        if self.fused_step:
            matmul(*self.first)  # layer 0's pre-activations
            for h, filt, gate, z, inputs, fused, out in self.plan:
                tanh(h, out=h)  # [tanh(f) | tanh(g / 2)]
                add(gate, 1.0, out=gate)
                multiply(filt, gate, out=z)
                matmul(inputs, fused, out=out)  # the residual, then the next layer's pre-activations
            h, filt, gate, z = self.last[:4]
        else:
            tmp = self.tmp
            for inputs, taps, h, filt, gate, z, x, dense, next_x in self.plan:
                matmul(inputs, taps, out=h)
                tanh(h, out=h)
                add(gate, 1.0, out=gate)
                multiply(filt, gate, out=z)
                matmul(z, dense, out=tmp)
                add(x, tmp, out=next_x)
            inputs, taps, h, filt, gate, z = self.last[:6]
            matmul(inputs, taps, out=h)
        tanh(h, out=h)  # the last layer: its residual output is never used (§2.3)
        add(gate, 1.0, out=gate)
        multiply(filt, gate, out=z)
        self.ring[slots] = self.new_inputs  # now the oldest entry of each ring is spent
        if self.fused_step:
            np.copyto(self.z_layers, self.z_rows)
        hidden, hidden2 = self.hidden, self.hidden2
        matmul(self.z, self.skip_ext, out=hidden[:, :self.skip_width])
        np.maximum(hidden, 0.0, out=hidden)  # the constant-1 column stays 1
        matmul(hidden, self.post1_ext, out=hidden2[:, :self.post1_width])
        np.maximum(hidden2, 0.0, out=hidden2)
        matmul(hidden2, self.post2_ext, out=self.logits)
        self.previous = classes
        self.t += 1
        return self.logits


class GraphFastGenerator(tf.Module):
    """The same algorithm as a TensorFlow graph (one tf.while_loop), for the exported SavedModel, where no
    Python runs: the folded weights of a FastGenerator become constants, the caches loop variables."""

    def __init__(self, model):
        super().__init__()
        folded = FastGenerator(model)
        self.model = model
        self.dilations, self.dc = folded.dilations, folded.dc
        const = lambda a: tf.constant(np.asarray(a, np.float32))
        self.causal_old, self.causal_new = const(folded.causal_old), const(folded.causal_new)
        self.weights = [const(w) for w in folded.weights]
        self.consts = [const(c) for c in folded.consts]
        self.gc_weights = [const(w) for w in folded.gc_weights]
        self.offsets = [const(o) for o in folded.offsets]
        self.dense = [const(w) for w in folded.dense]
        self.skip, self.skip_bias = const(folded.skip), const(folded.skip_bias)
        self.post1, self.post1_bias = const(folded.post1), const(folded.post1_bias)
        self.post2, self.post2_bias = const(folded.post2), const(folded.post2_bias)
        self.embedding = const(folded.embedding) if folded.embedding is not None else None

    def _sample(self, logits, temperature, seed, t):
        uniforms = tf.random.stateless_uniform(tf.shape(logits)[:1], tf.stack([seed, t]), dtype=tf.float64)
        scaled = tf.cast(logits, tf.float64) / tf.cast(tf.maximum(temperature, 1e-30), tf.float64)
        cdf = tf.cumsum(tf.exp(scaled - tf.reduce_max(scaled, axis=1, keepdims=True)), axis=1)
        sampled = tf.reduce_sum(tf.cast(cdf < uniforms[:, None] * cdf[:, -1:], tf.int32), axis=1)
        sampled = tf.minimum(sampled, tf.shape(logits)[1] - 1)
        return tf.where(temperature > 0, sampled, tf.argmax(logits, axis=1, output_type=tf.int32))

    def generate(self, context, samples, temperature, seed, ids=None):
        """context [n, RF] int32 → [n, samples] int32 classes (the context excluded)."""
        n, dc = tf.shape(context)[0], self.dc
        consts = [tf.broadcast_to(c, [n, 2 * dc]) for c in self.consts]
        if self.embedding is not None:
            embedding = tf.gather(self.embedding, ids)
            consts = [c + embedding @ w for c, w in zip(consts, self.gc_weights)]
        past = context[:, :-1]
        _, block_inputs = self.model.forward(self.model.example_inputs(past, ids), collect_inputs=True)
        caches = []
        for d, x, offset, weight, c in zip(self.dilations, block_inputs, self.offsets, self.weights, consts):
            entries = tf.einsum("btr,rk->tbk", x[:, -d:] - offset, weight[:, 2 * dc:]) + c[None]
            # Slot (t mod d) holds time t; the last d inputs are times −d … −1.
            caches.append(entries)  # times −d … −1 sit in slots 0 … d − 1 (slot = time mod d)
        last = len(self.dilations) - 1

        def body(t, previous, current, caches, out):
            x = tf.gather(self.causal_old, previous) + tf.gather(self.causal_new, current)
            zs, new_caches = [], []
            for i, (d, weight, cache, c) in enumerate(zip(self.dilations, self.weights, caches, consts)):
                pre = x @ weight
                slot = tf.math.floormod(t, d)
                h = tf.tanh(pre[:, :2 * dc] + cache[slot])
                new_caches.append(tf.tensor_scatter_nd_update(cache, [[slot]], [pre[:, 2 * dc:] + c]))
                z = h[:, :dc] * (h[:, dc:] + 1.0)
                zs.append(z)
                if i != last:
                    x = x + z @ self.dense[i]
            hidden = tf.nn.relu(tf.concat(zs, axis=1) @ self.skip + self.skip_bias)
            hidden = tf.nn.relu(hidden @ self.post1 + self.post1_bias)
            logits = hidden @ self.post2 + self.post2_bias
            sampled = self._sample(logits, temperature, seed, t)
            return t + 1, current, sampled, new_caches, out.write(t, sampled)

        out = tf.TensorArray(tf.int32, size=samples)
        _, _, _, _, out = tf.while_loop(lambda t, *_: t < samples, body,
                                        (tf.constant(0), past[:, -1], context[:, -1], caches, out))
        return tf.transpose(out.stack())
