"""reference §B1–§B7 and §B10 written out in NumPy (and, for the silence trim, with librosa, as the original
did), for the baselines' pin tests to compare the project's models and data functions against.

Nothing here imports the project: every constant (μ = Q − 1, frames of 2048 with a hop of 512, the TF1
optimisers' update rules and starting accumulators, the WaveNet's layer order) is typed in from
docs/reference.md, so a change in the project cannot change the reference with it.
"""

from __future__ import annotations

import numpy as np

TRIM_FRAME, TRIM_HOP = 2048, 512  # reference §B5.4: librosa's RMS frame, and its default hop


# --- μ-law (reference §B1) ---------------------------------------------------------------------------------

def mulaw_encode(x: np.ndarray, q: int = 256) -> np.ndarray:
    """|x| limited to 1; f = sign(x)·ln(1 + μ|x|)/ln(1 + μ); class = truncate((f + 1)/2·μ + 0.5)."""
    mu = q - 1
    x = np.clip(np.asarray(x, np.float64), -1.0, 1.0)
    f = np.sign(x) * np.log(1 + mu * np.abs(x)) / np.log(1 + mu)
    return np.trunc((f + 1) / 2 * mu + 0.5).astype(np.int64)


def mulaw_decode(classes: np.ndarray, q: int = 256) -> np.ndarray:
    """y = 2q/μ − 1; x = sign(y)·((1 + μ)^|y| − 1)/μ."""
    mu = q - 1
    y = 2 * np.asarray(classes, np.float64) / mu - 1
    return np.sign(y) * ((1 + mu) ** np.abs(y) - 1) / mu


# --- data (reference §B5) --------------------------------------------------------------------------------

def original_trim(audio: np.ndarray, threshold: float) -> tuple[int, int]:
    """The kept range [start, end) of the original's silence trim: librosa's RMS per centred frame (2048,
    shrunk to the clip when it is shorter; hop 512), from 512·(first frame above the threshold) up to,
    not including, 512·(last such frame); (0, 0) when no frame is loud. Today's librosa calls the RMS
    `feature.rms` (the original's `feature.rmse`) and pads the centred frames with zeros."""
    import librosa

    frame_length = min(TRIM_FRAME, audio.size)
    energy = librosa.feature.rms(y=np.asarray(audio, np.float32), frame_length=frame_length,
                                 hop_length=TRIM_HOP, center=True, pad_mode="constant")
    loud = np.nonzero(energy > threshold)
    indices = librosa.core.frames_to_samples(loud, hop_length=TRIM_HOP)[1]
    return (int(indices[0]), int(indices[-1])) if indices.size else (0, 0)


def original_pieces(audio: np.ndarray, receptive_field: int, sample_size: int) -> list[np.ndarray]:
    """§B5.5–6: receptive_field zeros prepended; while more than receptive_field samples remain, emit the
    first receptive_field + sample_size of them and move on by sample_size (the last piece is shorter)."""
    buffer = np.concatenate([np.zeros(receptive_field), audio])
    out = []
    while len(buffer) > receptive_field:
        out.append(buffer[:receptive_field + sample_size])
        buffer = buffer[sample_size:]
    return out


# --- the WaveNet's training graph (reference §B2.2–§B2.3, §B3) --------------------------------------------

def valid_dilated_conv(x: np.ndarray, kernel: np.ndarray, dilation: int) -> np.ndarray:
    """§B2.2: x [B, W, in], kernel [k, in, out]; output t reads inputs t, t + d, …, t + (k−1)d, tap 0 the
    oldest; no padding, so the output is (k − 1)·d shorter and lines up with the newest input."""
    k = kernel.shape[0]
    width = x.shape[1] - (k - 1) * dilation
    out = np.zeros((x.shape[0], width, kernel.shape[2]))
    for t in range(width):
        for tap in range(k):
            out[:, t] += x[:, t + tap * dilation] @ kernel[tap]
    return out


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def wavenet_logits(model, classes: np.ndarray, embedding: np.ndarray | None = None) -> np.ndarray:
    """§B2.3 on the weights of the project's WaveNet (read by name), classes [B, T] → logits
    [B, T − receptive_field + 1, Q]; `embedding` [B, G] is the conditioning vector of each clip (§B3)."""
    w = lambda v: np.asarray(v.numpy(), np.float64)
    q = model.quantization_channels
    x = np.eye(q)[np.asarray(classes)]  # one-hot [B, T, Q]
    h = valid_dilated_conv(x, w(model.causal_layer.kernel), 1)  # no bias, no activation
    receptive = (model.filter_width - 1) * sum(model.dilations) + model.filter_width  # §B2.4, one-hot input
    output_width = classes.shape[1] - receptive + 1
    skips = 0.0
    for block, d in zip(model.blocks, model.dilations):
        f = valid_dilated_conv(h, w(block.filter), d)
        g = valid_dilated_conv(h, w(block.gate), d)
        if embedding is not None:  # filter and gate only, broadcast over time, before bias and nonlinearity
            f = f + (embedding @ w(block.gc_filter))[:, None]
            g = g + (embedding @ w(block.gc_gate))[:, None]
        if model.use_biases:
            f, g = f + w(block.filter_bias), g + w(block.gate_bias)
        z = np.tanh(f) * sigmoid(g)
        residual = h[:, h.shape[1] - z.shape[1]:] + z @ w(block.dense)  # the newest samples of x survive
        skip = z[:, z.shape[1] - output_width:] @ w(block.skip)
        if model.use_biases:
            residual, skip = residual + w(block.dense_bias), skip + w(block.skip_bias)
        skips, h = skips + skip, residual
    hidden = np.maximum(skips, 0) @ w(model.postprocess1.kernel)
    if model.use_biases:
        hidden = hidden + w(model.postprocess1.bias)
    logits = np.maximum(hidden, 0) @ w(model.postprocess2.kernel)
    return logits + w(model.postprocess2.bias) if model.use_biases else logits


def softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy(logits: np.ndarray, targets: np.ndarray) -> float:
    """§B4: softmax cross-entropy (natural log) averaged over every position."""
    logp = logits - logits.max(axis=-1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(axis=-1, keepdims=True))
    return float(-np.take_along_axis(logp, targets[..., None], axis=-1).mean())


# --- TF1 optimisers (reference §B4) ------------------------------------------------------------------------

def tf1_adam(var: np.ndarray, grads, lr: float, beta1=0.9, beta2=0.999, eps=1e-4) -> list[np.ndarray]:
    """tf.train.AdamOptimizer (ε-hat form): m, v from 0; lr_t = lr·√(1−β2ᵗ)/(1−β1ᵗ); var −= lr_t·m/(√v + ε)."""
    m, v, out = np.zeros_like(var), np.zeros_like(var), []
    for t, g in enumerate(grads, 1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        var = var - lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t) * m / (np.sqrt(v) + eps)
        out.append(var)
    return out


def tf1_momentum(var: np.ndarray, grads, lr: float, momentum: float) -> list[np.ndarray]:
    """tf.train.MomentumOptimizer, heavy ball: accum = momentum·accum + g (from 0); var −= lr·accum."""
    accum, out = np.zeros_like(var), []
    for g in grads:
        accum = momentum * accum + g
        var = var - lr * accum
        out.append(var)
    return out


def tf1_rmsprop(var: np.ndarray, grads, lr: float, decay=0.9, momentum=0.0, eps=1e-10) -> list[np.ndarray]:
    """tf.train.RMSPropOptimizer, not centred: ms STARTS AT ONES, mom at zeros;
    ms = decay·ms + (1 − decay)·g²; mom = momentum·mom + lr·g/√(ms + ε); var −= mom."""
    ms, mom, out = np.ones_like(var), np.zeros_like(var), []
    for g in grads:
        ms = decay * ms + (1 - decay) * g * g
        mom = momentum * mom + lr * g / np.sqrt(ms + eps)
        var = var - mom
        out.append(var)
    return out


# --- the frame GRU (reference §B10) -----------------------------------------------------------------------

def gru_layer(x: np.ndarray, kernel: np.ndarray, recurrent: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """A GRU over x [B, n, in] from a zero state, gates in the order update z, reset r, candidate h; the
    reset gate applied after the recurrent product (Keras's and cuDNN's form; the post names no variant).
    bias [2, 3u]: input bias and recurrent bias. h = z·h_prev + (1 − z)·h̃."""
    u = recurrent.shape[0]
    h = np.zeros((x.shape[0], u))
    out = []
    for t in range(x.shape[1]):
        xi = x[:, t] @ kernel + bias[0]
        hi = h @ recurrent + bias[1]
        z = sigmoid(xi[:, :u] + hi[:, :u])
        r = sigmoid(xi[:, u:2 * u] + hi[:, u:2 * u])
        candidate = np.tanh(xi[:, 2 * u:] + r * hi[:, 2 * u:])
        h = z * h + (1 - z) * candidate
        out.append(h)
    return np.stack(out, axis=1)
