"""reference §3–§4 written out literally in NumPy, for the pin tests to compare the project's models against.

Nothing here imports the project's layers: every constant (kernel 25, stride 4, TF "same" alignment
10 / 11, slope 0.2, batch-norm ε 1e-3, reflect padding) is typed in from docs/reference.md, so a change in the
project cannot change the reference with it.
"""

from __future__ import annotations

import numpy as np

BN_EPSILON = 1e-3  # TF1 / Keras default (reference §3.2)
LRELU_SLOPE = 0.2  # reference §3.3
SAME_LEFT_PAD = {(25, 4): 10, (25, 2): 11, (512, 1): 255}  # reference §3.2/§3.3: TF "same", pad_total // 2 on the left


def conv1d_same(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None, stride: int) -> np.ndarray:
    """x [b, L, in], kernel [k, in, out]: TF "same" (output ceil(L/s); 10 left / 11 right for k=25, s=4)."""
    k, length = kernel.shape[0], x.shape[1]
    out_len = -(-length // stride)
    total = max((out_len - 1) * stride + k - length, 0)
    left = SAME_LEFT_PAD[(k, stride)]
    xp = np.pad(x, [(0, 0), (left, total - left), (0, 0)])
    out = np.zeros((x.shape[0], out_len, kernel.shape[2]), np.float64)
    for j in range(k):
        out += xp[:, j:j + stride * out_len:stride] @ kernel[j]
    return out + (0 if bias is None else bias)


def conv1d_transpose_same(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, stride: int) -> np.ndarray:
    """x [b, L, in], kernel [k, out, in] (Keras layout): of the full transposed output, length s(L−1)+k,
    TF "same" keeps s·L samples starting at index 10 for k=25, s=4 (reference §3.2)."""
    k, length = kernel.shape[0], x.shape[1]
    full = np.zeros((x.shape[0], stride * (length - 1) + k, kernel.shape[1]), np.float64)
    for j in range(k):
        full[:, j:j + stride * length:stride] += x @ kernel[j].T
    start = {(25, 4): 10, (25, 2): 11}[(k, stride)]
    return full[:, start:start + stride * length] + bias


def batch_norm_train(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Batch statistics over every axis but the last, population variance, ε = 1e-3."""
    axes = tuple(range(x.ndim - 1))
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    return (x - mean) / np.sqrt(var + BN_EPSILON) * gamma + beta


def relu(x):
    return np.maximum(x, 0.0)


def lrelu(x):
    return np.maximum(LRELU_SLOPE * x, x)  # the original's lrelu


def phase_shuffle(x: np.ndarray, phi: int) -> np.ndarray:
    """reference §3.4: reflect-pad max(φ,0) left and max(−φ,0) right, keep L samples from index max(−φ,0)."""
    pad_l, pad_r = max(phi, 0), max(-phi, 0)
    padded = np.pad(x, [(0, 0), (pad_l, pad_r), (0, 0)], mode="reflect")
    return padded[:, pad_r:pad_r + x.shape[1]]


def _np(v):
    return np.asarray(v, np.float64)


def wavegan_generator(g, z: np.ndarray) -> np.ndarray:
    """reference §3.2 with batch norm in training mode (batch statistics) when the model has it, 16384 samples:
    dense → reshape [16, 16d] → BN → ReLU → 4 × (transposed conv k25 s4 → BN → ReLU) → transposed conv → tanh."""
    d = g.dim
    x = (z @ _np(g.z_project.kernel) + _np(g.z_project.bias)).reshape(len(z), 16, 16 * d)
    bns = [g.z_project_bn] + list(g.upconv_bns[:4]) if g.batchnorm else [None] * 5
    if bns[0] is not None:
        x = batch_norm_train(x, _np(bns[0].gamma), _np(bns[0].beta))
    x = relu(x)
    for i in range(5):
        conv = g.upconvs[i]
        x = conv1d_transpose_same(x, _np(conv.kernel), _np(conv.bias), 4)
        if i == 4:
            return np.tanh(x)
        if bns[i + 1] is not None:
            x = batch_norm_train(x, _np(bns[i + 1].gamma), _np(bns[i + 1].beta))
        x = relu(x)


def wavegan_discriminator(d, x: np.ndarray, shifts: list[int] | None = None) -> np.ndarray:
    """reference §3.3, 16384 samples: 5 × (conv k25 s4 → BN on blocks 1–4 (batch statistics, always) →
    LeakyReLU 0.2 → phase shuffle by shifts[i] after blocks 0–3) → flatten → dense → [batch]."""
    h = _np(x)
    for i in range(5):
        conv = d.downconvs[i]
        h = conv1d_same(h, _np(conv.kernel), _np(conv.bias), 4)
        if i > 0 and d.batchnorm:
            bn = d.downconv_bns[i]
            h = batch_norm_train(h, _np(bn.gamma), _np(bn.beta))
        h = lrelu(h)
        if shifts is not None and i < 4:
            h = phase_shuffle(h, shifts[i])
    flat = h.reshape(len(h), -1)  # row-major over [time, channels]
    return (flat @ _np(d.logit.kernel) + _np(d.logit.bias))[:, 0]


def randomise_batch_norm(model, rng: np.random.Generator) -> None:
    """Gives every batch-norm layer non-trivial γ and β, so the reference sees where each one sits."""
    for layer in model._flatten_layers():
        if layer.__class__.__name__ == "BatchNormalization":
            layer.gamma.assign(rng.uniform(0.5, 1.5, layer.gamma.shape).astype(np.float32))
            layer.beta.assign(rng.uniform(-0.3, 0.3, layer.beta.shape).astype(np.float32))


def randomise_biases(model, rng: np.random.Generator, scale: float = 0.1) -> None:
    """Zero-initialised biases hide a missing bias; give every one a value."""
    for v in model.trainable_variables:
        if v.path.endswith("bias"):
            v.assign(rng.uniform(-scale, scale, v.shape).astype(np.float32))
