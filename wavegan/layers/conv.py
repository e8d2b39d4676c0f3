"""The strided convolutions of G and D and their faster forms: one set of weights, several ways to compute
it (space-to-depth, one matmul, polyphase), picked per shape for training and for inference; keras.ops only."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


def polyphase_rows(kernel_len: int, stride: int) -> tuple[np.ndarray, int, int]:
    """How a transposed convolution (padding "same") splits into `stride` phases of one stride-1 filter.

    Output sample s·m + p only ever meets kernel taps ≡ p (mod s): out[s·m + p] = Σ_i x[i] ·
    kernel[s·(m − i) + p + offset], offset = (kernel − stride) // 2 as the forward "same" convolution
    pads. Returns `rows` [taps, stride], the kernel row each packed tap of each phase reads
    (`kernel_len` where the phase meets no tap: a zero row), and the left and right padding of the
    input for a "valid" stride-1 filter over it.
    """
    offset = max(kernel_len - stride, 0) // 2
    lags = [d for p in range(stride) for d in range(-kernel_len, kernel_len + 1)
            if 0 <= stride * d + p + offset < kernel_len]
    low, high = min(lags), max(lags)
    rows = np.full((high - low + 1, stride), kernel_len, np.int64)
    for d in range(low, high + 1):
        for p in range(stride):
            if 0 <= stride * d + p + offset < kernel_len:
                rows[high - d, p] = stride * d + p + offset
    return rows, high, -low


def polyphase_kernel(kernel, stride: int):
    """A transposed convolution's kernel [kernel_len, filters, channels] packed as `polyphase_rows`' filter,
    [taps, channels, stride·filters]: packed tap r of phase p is kernel row rows[r, p] (zeros where none).

    Dense ops (pad, fold, reverse), not a gather, so that in training the gradient reaching the kernel
    is dense: row rows[r, p] = s·(taps − 1 − r) + p − lead, lead = s·pad_right − offset.
    """
    kernel_len, filters, channels = kernel.shape
    rows, _, pad_right = polyphase_rows(kernel_len, stride)
    taps = rows.shape[0]
    lead = stride * pad_right - max(kernel_len - stride, 0) // 2
    kernel = ops.pad(kernel, [[lead, taps * stride - kernel_len - lead], [0, 0], [0, 0]])
    kernel = ops.flip(ops.reshape(kernel, (taps, stride, filters, channels)), axis=0)
    return ops.reshape(ops.transpose(kernel, (0, 3, 1, 2)), (taps, channels, stride * filters))


def windows(padded, length: int, first: int, stop: int):
    """[batch·length, (stop − first)·channels]: input samples first … stop − 1 after each output position
    of a "valid" stride-1 filter over `padded`, side by side, so that one matmul applies the filter."""
    # ops.slice rather than [:, j:j + length]: TensorFlow's gradient of a plain Slice (a Pad) costs less than
    # StridedSliceGrad, 15% of the matmul form's forward + backward at d = 64 (docs/benchmarks_log.md).
    shape = ops.shape(padded)
    stacked = ops.concatenate([ops.slice(padded, [0, j, 0], [shape[0], length, shape[2]]) for j in range(first, stop)],
                              axis=-1)
    return ops.reshape(stacked, (-1, (stop - first) * shape[2]))


@keras.saving.register_keras_serializable(package="wavegan")
class PolyphaseConv1DTranspose(keras.layers.Layer):
    """A trained `Conv1DTranspose` (padding "same") rewritten for inference as `stride` phases.

    Output sample s·m + p of a transposed convolution only ever meets the kernel taps ≡ p (mod s), so
    all s phases are one stride-1 filter of `taps` ≈ kernel/stride input samples with s·filters outputs.
    TensorFlow's own transposed-convolution kernels are slow on a CPU for the generator's short first
    layer and its one-channel last layer (docs/benchmarks_log.md); these forms give the same values up to
    float rounding. `mode` says how the phases are computed:

    - "matmul": one matmul of the stacked windows [batch·length, taps·channels] against all phases;
    - "phases": one matmul per phase over only the taps it meets (25 of the 28 packed taps at kernel 25,
      stride 4): less arithmetic and, at batch 1, less weight to read (the first layer's 52 MB at d=64);
    - "conv": a stride-1 convolution over all phases;
    - "col2im": each input sample times all its taps (one [channels, taps·stride·filters] matmul), the
      taps' products then added at their output positions: for few outputs per phase (the last layer).

    With `switch_rows` it also keeps the trained kernel and runs TensorFlow's transposed convolution
    whenever the input has more than `switch_rows` samples in all (batch · length): the phases win at
    batch 1, where reading the weights dominates, the trained layer's kernel at large batches.

    Its weights are a snapshot: build it from the trained layer (`from_layer`) when exporting.
    """

    MODES = ("matmul", "phases", "conv", "col2im")

    def __init__(self, filters: int, strides: int, taps: int, pad_left: int, pad_right: int, mode: str,
                 phase_taps: list | None = None, switch_rows: int | None = None, kernel_len: int | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        if mode not in self.MODES:
            raise ValueError(f"mode must be one of {self.MODES}, got {mode!r}")
        if mode == "phases" and (phase_taps is None or len(phase_taps) != strides):
            raise ValueError("mode 'phases' needs phase_taps: the [first, stop) packed taps of each phase")
        self.filters, self.strides, self.taps = int(filters), int(strides), int(taps)
        self.pad_left, self.pad_right, self.mode = int(pad_left), int(pad_right), mode
        self.phase_taps = [[int(a), int(b)] for a, b in phase_taps] if phase_taps is not None else None
        if switch_rows is not None and kernel_len is None:
            raise ValueError("switch_rows needs kernel_len, the trained kernel's length")
        self.switch_rows = None if switch_rows is None else int(switch_rows)
        self.kernel_len = None if kernel_len is None else int(kernel_len)

    def build(self, input_shape):
        channels = input_shape[-1]
        if self.mode == "phases":
            # One weight per phase, so that no call slices (copies) a big kernel.
            self.phase_kernels = [self.add_weight(shape=((stop - first) * channels, self.filters), initializer="zeros",
                                                  trainable=False, name=f"kernel_{p}")
                                  for p, (first, stop) in enumerate(self.phase_taps)]
        else:
            self.kernel = self.add_weight(shape=(self.taps, channels, self.strides * self.filters),
                                          initializer="zeros", trainable=False, name="kernel")
        if self.switch_rows is not None:
            self.trained_kernel = self.add_weight(shape=(self.kernel_len, self.filters, channels), initializer="zeros",
                                                  trainable=False, name="trained_kernel")
        self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", trainable=False, name="bias")
        self.built = True

    @classmethod
    def from_layer(cls, layer: keras.layers.Conv1DTranspose, mode: str,
                   switch_rows: int | None = None) -> "PolyphaseConv1DTranspose":
        kernel = ops.convert_to_numpy(layer.kernel).astype(np.float32)  # [kernel, filters, channels]; exact from bf16
        length, filters, channels = kernel.shape
        stride = layer.strides[0]
        rows, pad_left, pad_right = polyphase_rows(length, stride)
        taps = rows.shape[0]
        packed = ops.convert_to_numpy(polyphase_kernel(kernel, stride)).reshape(taps, channels, stride, filters)
        # A phase's taps are consecutive lags; one that meets none (kernel < stride) keeps a zero tap.
        phase_taps = [[int(hit.min()), int(hit.max()) + 1] if hit.size else [0, 1]
                      for hit in (np.flatnonzero(rows[:, p] < length) for p in range(stride))]
        fast = cls(filters, stride, taps, pad_left, pad_right, mode,
                   phase_taps=phase_taps if mode == "phases" else None, switch_rows=switch_rows,
                   kernel_len=length if switch_rows is not None else None, name=layer.name + "_polyphase",
                   dtype=layer.dtype_policy)
        fast.build((None, None, channels))
        if mode == "phases":
            for p, (first, stop) in enumerate(phase_taps):
                fast.phase_kernels[p].assign(packed[first:stop, :, p, :].reshape(-1, filters))
        else:
            fast.kernel.assign(packed.reshape(taps, channels, stride * filters))
        if switch_rows is not None:
            fast.trained_kernel.assign(layer.kernel)
        fast.bias.assign(ops.convert_to_numpy(layer.bias) if layer.use_bias else np.zeros(filters, np.float32))
        return fast

    def call(self, x):
        if self.switch_rows is None:
            return self.polyphase(x)
        # The same values as the trained Conv1DTranspose(padding="same") computes, as it computes them.
        return ops.cond(ops.shape(x)[0] * ops.shape(x)[1] <= self.switch_rows, lambda: self.polyphase(x),
                        lambda: ops.conv_transpose(x, self.trained_kernel, self.strides, padding="same") + self.bias)

    def polyphase(self, x):
        batch, length, channels = ops.shape(x)[0], ops.shape(x)[1], ops.shape(x)[2]
        if self.mode == "col2im":
            # y[i, j] = x[i] · kernel[j], and phases[m] = Σ_j x[m + j − pad_left] · kernel[j]
            #                                         = Σ_j y[m + j − pad_left, j].
            kernel = ops.reshape(ops.transpose(self.kernel, (1, 0, 2)), (channels, -1))
            y = ops.reshape(ops.matmul(ops.reshape(x, (-1, channels)), kernel),
                            (batch, length, self.taps, self.strides * self.filters))
            y = ops.pad(y, [[0, 0], [self.pad_left, self.pad_right], [0, 0], [0, 0]])
            phases = y[:, 0:length, 0]
            for j in range(1, self.taps):
                phases = phases + y[:, j:j + length, j]
            return ops.reshape(phases, (batch, length * self.strides, self.filters)) + self.bias
        padded = ops.pad(x, [[0, 0], [self.pad_left, self.pad_right], [0, 0]])
        if self.mode == "phases":
            phases = ops.stack([ops.reshape(ops.matmul(windows(padded, length, first, stop), kernel),
                                            (batch, length, self.filters))
                                for (first, stop), kernel in zip(self.phase_taps, self.phase_kernels)], axis=2)
        elif self.mode == "matmul":
            phases = ops.matmul(windows(padded, length, 0, self.taps),
                                ops.reshape(self.kernel, (-1, self.strides * self.filters)))
        else:
            phases = ops.conv(padded, self.kernel, strides=1, padding="valid")
        return ops.reshape(phases, (batch, length * self.strides, self.filters)) + self.bias

    def compute_output_shape(self, input_shape):
        length = None if input_shape[1] is None else input_shape[1] * self.strides
        return (input_shape[0], length, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "strides": self.strides, "taps": self.taps,
                "pad_left": self.pad_left, "pad_right": self.pad_right, "mode": self.mode,
                "phase_taps": self.phase_taps, "switch_rows": self.switch_rows, "kernel_len": self.kernel_len}


# Measured at d = 8–64 (docs/benchmarks_log.md): the 16-step first layer is 2.2× faster as a polyphase
# matmul than TensorFlow's transposed convolution at batch 1 and 64; where its kernel is big (d = 64:
# 13M weights, 52 MB) one matmul per phase, reading 11% less weight, is faster still at batch 1, while
# for small kernels the single matmul's fewer ops win. The 64-step, 512-channel second layer (d = 64)
# is 1.7× faster per phase at batch 1 but slower from ~512 input samples on, so it switches back above
# 256; from 256 steps on TensorFlow's kernel wins. The last, one-channel layer: col2im is 1.6× faster
# than the stride-1 convolution at batch 1 from 64 input channels on (as fast at batch 64) and slower
# below; in bfloat16 its seven partial sums would each be rounded (−1 dB SNR), so it is float32 only.
POLYPHASE_MAX_STEPS = 32
POLYPHASE_PER_PHASE_MIN_WEIGHTS = 1 << 23
POLYPHASE_SWITCH_MAX_STEPS, POLYPHASE_SWITCH_MIN_CHANNELS, POLYPHASE_SWITCH_ROWS = 64, 512, 256
POLYPHASE_FEW_OUTPUTS, POLYPHASE_COL2IM_MIN_CHANNELS = 8, 64


# Training forms of the strided convolutions (issue 15; docs/benchmarks_log.md, "Issue 15 item 1"): measured
# on a 2-core Xeon in TensorFlow with oneDNN, per layer and per discriminator, forward, forward + backward
# and the gradient penalty's double backward, at d = 8–64.
# - oneDNN's stride-4 convolution is slow where the input has few channels (its backward-filter ran at
#   ~35 GFLOP/s for D's second layer at d = 16): space-to-depth (4 samples × C channels → 4·C channels)
#   turns it into a stride-1 convolution of 7 taps, 2× faster forward + backward for D's first two layers.
# - D's last layer (16 output steps) is faster as one matmul of its stacked windows: 1.7× at d = 64
#   (13M weights), 10% of D at d = 32, 3% at d = 16, even at d = 8. So is G's 16-step first layer where
#   its kernel is big (d = 64), not below.
# - G's one-channel last layer is 2× faster forward as a stride-1 filter of its 4 phases.
# Elsewhere TensorFlow's own kernels are as fast or faster. Other backends (JAX on GPUs) keep them.
STRIDED_MATMUL_MIN_WEIGHTS = 1 << 23
SPACE_TO_DEPTH_MAX_CHANNELS = 64
STRIDED_MATMUL_MAX_STEPS = 16


def training_conv_form(transposed: bool, steps: int, channels: int, filters: int, kernel_len: int,
                       stride: int) -> str:
    """The fastest way to compute a strided Conv1D / Conv1DTranspose (padding "same") of this shape in
    training on the current backend: "direct", "space_to_depth" (Conv1D), "polyphase" (transposed),
    or "matmul". `steps` is the input length."""
    if keras.backend.backend() != "tensorflow":
        return "direct"
    if transposed:
        if kernel_len * channels * filters >= STRIDED_MATMUL_MIN_WEIGHTS and steps <= STRIDED_MATMUL_MAX_STEPS:
            return "matmul"
        return "polyphase" if stride * filters <= POLYPHASE_FEW_OUTPUTS else "direct"
    if -(-steps // stride) <= STRIDED_MATMUL_MAX_STEPS:
        return "matmul"
    return "space_to_depth" if channels <= SPACE_TO_DEPTH_MAX_CHANNELS else "direct"


class _TrainingForm:
    """What the two strided layers share: the form asked for (`form`, a constructor argument on top of
    the Keras layer's) and the one computed (`computed_form`, resolved when built)."""

    FORMS: tuple = ()
    TRANSPOSED = False

    def __init__(self, *args, form: str = "auto", **kwargs):
        super().__init__(*args, **kwargs)
        if form not in self.FORMS:
            raise ValueError(f"{type(self).__name__} form must be one of {self.FORMS}, got {form!r}")
        self.form = form
        self.computed_form = "direct"

    def build(self, input_shape):
        super().build(input_shape)
        # The forms compute strided, "same", channels-last convolutions (and no output padding).
        rewritable = (self.padding == "same" and self.data_format == "channels_last"
                      and self.dilation_rate[0] == 1 and self.strides[0] > 1
                      and getattr(self, "output_padding", None) is None)
        steps, channels = input_shape[1], input_shape[-1]
        if self.form == "auto":
            self.computed_form = (training_conv_form(self.TRANSPOSED, steps, channels, self.filters,
                                                     self.kernel_size[0], self.strides[0])
                                  if rewritable and steps is not None else "direct")
        elif self.form != "direct" and not rewritable:
            raise ValueError(f"{self.name}: form {self.form!r} needs a strided 'same' channels-last convolution "
                             "without output padding")
        else:
            self.computed_form = self.form

    def get_config(self):
        return {**super().get_config(), "form": self.form}

    def _bias_and_activation(self, outputs):
        if self.use_bias:  # as Keras adds it, which TensorFlow fuses into the convolution before it
            outputs = ops.add(outputs, ops.reshape(self.bias, (1, 1, self.filters)))
        return outputs if self.activation is None else self.activation(outputs)


@keras.saving.register_keras_serializable(package="wavegan")
class StridedConv1D(_TrainingForm, keras.layers.Conv1D):
    """`keras.layers.Conv1D` whose strided "same" convolution is computed in the form fastest for its
    shape (`training_conv_form`, or the `form` given): the same weights, variables and values up to
    float rounding, so checkpoints and exports do not see the difference.

    "space_to_depth": y[t] = Σ_j x[s·t + j − left] · w[j] with the kernel padded to ⌈k/s⌉·s taps is a
    stride-1, ⌈k/s⌉-tap convolution of the input reshaped to [length/s, s·channels];
    "matmul": the same, as one matmul of its stacked windows.
    """

    FORMS = ("auto", "direct", "space_to_depth", "matmul")

    def call(self, inputs):
        # The folded forms need the length when traced; a caller with an unknown one gets the direct form.
        if self.computed_form == "direct" or inputs.shape[1] is None:
            return super().call(inputs)
        length, channels = inputs.shape[1], inputs.shape[-1]
        stride, kernel_len = self.strides[0], self.kernel_size[0]
        steps = -(-length // stride)
        left = max((steps - 1) * stride + kernel_len - length, 0) // 2  # as TensorFlow pads "same"
        taps = -(-kernel_len // stride)
        right = stride * (steps + taps - 1) - length - left
        folded = ops.reshape(ops.pad(inputs, [[0, 0], [left, right], [0, 0]]), (-1, steps + taps - 1, stride * channels))
        folded_kernel = ops.reshape(ops.pad(self.kernel, [[0, taps * stride - kernel_len], [0, 0], [0, 0]]),
                                    (taps, stride * channels, self.filters))
        if self.computed_form == "space_to_depth":
            outputs = ops.conv(folded, folded_kernel, strides=1, padding="valid")
        else:
            product = ops.matmul(windows(folded, steps, 0, taps), ops.reshape(folded_kernel, (-1, self.filters)))
            outputs = ops.reshape(product, (-1, steps, self.filters))
        return self._bias_and_activation(outputs)


@keras.saving.register_keras_serializable(package="wavegan")
class StridedConv1DTranspose(_TrainingForm, keras.layers.Conv1DTranspose):
    """`keras.layers.Conv1DTranspose` whose strided "same" transposed convolution is computed in the
    form fastest for its shape in training (`training_conv_form`, or the `form` given): the same weights,
    variables and values up to float rounding.

    "polyphase": the `stride` output phases as one stride-1 filter with stride·filters outputs, its
    kernel packed from the trained one in the graph (`polyphase_kernel`, so gradients reach the trained
    kernel); "matmul": the same filter as one matmul of the stacked input windows.
    """

    FORMS = ("auto", "direct", "polyphase", "matmul")
    TRANSPOSED = True

    def build(self, input_shape):
        super().build(input_shape)
        rows, self.pad_left, self.pad_right = polyphase_rows(self.kernel_size[0], self.strides[0])
        self.taps = rows.shape[0]

    def call(self, inputs):
        if self.computed_form == "direct":
            return super().call(inputs)
        length, stride = ops.shape(inputs)[1], self.strides[0]
        packed = polyphase_kernel(self.kernel, stride)
        padded = ops.pad(inputs, [[0, 0], [self.pad_left, self.pad_right], [0, 0]])
        if self.computed_form == "polyphase":
            phases = ops.conv(padded, packed, strides=1, padding="valid")
        else:
            phases = ops.matmul(windows(padded, length, 0, self.taps), ops.reshape(packed, (-1, stride * self.filters)))
        return self._bias_and_activation(ops.reshape(phases, (-1, length * stride, self.filters)))


def inference_form(layer: keras.layers.Layer, steps: int) -> keras.layers.Layer:
    """The faster inference equivalent of a generator layer that sees `steps` input samples, or itself."""
    if (type(layer) not in (keras.layers.Conv1DTranspose, StridedConv1DTranspose) or layer.padding != "same"
            or layer.data_format != "channels_last" or layer.dilation_rate[0] != 1
            or layer.activation is not keras.activations.linear):
        return layer
    length, filters, channels = layer.kernel.shape
    if layer.strides[0] * filters <= POLYPHASE_FEW_OUTPUTS:
        col2im = channels >= POLYPHASE_COL2IM_MIN_CHANNELS and layer.compute_dtype == "float32"
        return PolyphaseConv1DTranspose.from_layer(layer, "col2im" if col2im else "conv")
    if steps <= POLYPHASE_MAX_STEPS:
        per_phase = length * filters * channels >= POLYPHASE_PER_PHASE_MIN_WEIGHTS
        return PolyphaseConv1DTranspose.from_layer(layer, "phases" if per_phase else "matmul")
    if steps <= POLYPHASE_SWITCH_MAX_STEPS and channels >= POLYPHASE_SWITCH_MIN_CHANNELS:
        return PolyphaseConv1DTranspose.from_layer(layer, "phases", switch_rows=POLYPHASE_SWITCH_ROWS)
    return layer


def with_dtype(layer: keras.layers.Layer, dtype: str) -> keras.layers.Layer:
    """A snapshot of a built `layer` that stores its weights in and computes in `dtype` (e.g. "bfloat16"
    for oneDNN's AMX kernels at export), its weights the trained ones rounded to it; itself when its
    dtype already is `dtype`. Keras casts a floating input to the copy's dtype on the way in."""
    if layer.dtype_policy.name == dtype:
        return layer
    if isinstance(layer, keras.Sequential):  # its config's dtype does not reach the layers inside
        copy = keras.Sequential([with_dtype(inner, dtype) for inner in layer.layers], name=layer.name)
        copy.build_from_config(layer.get_build_config())
        return copy
    copy = layer.__class__.from_config({**layer.get_config(), "dtype": dtype})
    copy.build_from_config(layer.get_build_config())
    for source, target in zip(layer.weights, copy.weights, strict=True):
        target.assign(ops.cast(source, target.dtype))
    return copy
