"""The generator as an ONNX graph for onnxruntime-web, and the self-contained drum-machine folder (reference §10).

The graph is written from the generator's weights with the `onnx` package rather than converted by
Keras's `model.export(format="onnx")`, which needs tf2onnx (it works here, but adds a converter that
Keras patches to import under NumPy 2, and names the tensors args_0 / Identity:0): the generator is
small enough to spell out (dense → reshape → [batch norm] → ReLU → (upsampling conv → [batch norm] →
ReLU)* → last conv → tanh → [post-processing filter]) with the SavedModel's names z → G_z, and every
op used (Gemm, Reshape, BatchNormalization, Relu, ConvTranspose, Conv, Expand, Tanh, Transpose) is
one onnxruntime-web runs on WebAssembly and WebGPU (README: why ONNX rather than TensorFlow.js).
Keras keeps time before channels ([n, time, c]); ONNX convolutions want channels first, so the dense layer's columns are permuted to land in
[n, c, time] directly and one transpose at the end gives the SavedModel's G_z layout [n, time, c].

`write_web_folder` puts beside the model the page (web/page), onnxruntime-web's files (installed
from the npm registry into web/node_modules by `npm ci --prefix web`) and `run.json` with the run's
facts, so the folder plays from any static file server with no network. An installed copy (`pip install
.`) carries the page and the npm lock file in its package (wavegan.paths.WEB_SOURCE); the runtime, 14 MB of
WebAssembly from npm rather than Python code, is installed there the same way, by the command the
export's error message names.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
from functools import partial
from typing import Any, Callable

import keras
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from wavegan import paths
from wavegan.errors import UserError

WEB_SOURCE = paths.WEB_SOURCE
PAGE_DIR = os.path.join(WEB_SOURCE, "page")
ORT_DIST = os.path.join(WEB_SOURCE, "node_modules", "onnxruntime-web", "dist")
MODEL_FILE = "generator.onnx"
FACTS_FILE = "run.json"
# onnxruntime-web's CPU build (WebAssembly, SIMD) and its WebGPU build; the page imports one of the two.
RUNTIME_FILES = {
    "wasm": ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"),
    "webgpu": ("ort.webgpu.min.mjs", "ort-wasm-simd-threaded.asyncify.mjs", "ort-wasm-simd-threaded.asyncify.wasm"),
}
OPSET = 17
IR_VERSION = 8  # the IR of opset 17; onnxruntime-web reads it


class _GraphBuilder:
    """Collects ONNX nodes and constant initializers under unique names."""

    def __init__(self):
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def const(self, name: str, value: np.ndarray) -> str:
        self._count += 1
        unique = f"{name}_{self._count}"
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), unique))
        return unique

    def node(self, op: str, inputs: list[str], name: str, **attrs) -> str:
        self._count += 1
        out = f"{name}_{self._count}"
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out


def _same_pads(kernel_len: int, stride: int) -> list[int]:
    """TensorFlow's "same" padding of a stride-1 conv, or the crop of a transposed conv (output = input·stride):
    kernel_len − stride in all, the smaller half before."""
    total = kernel_len - stride
    return [total // 2, total - total // 2]


def _batch_norm(g: _GraphBuilder, x: str, bn: keras.layers.BatchNormalization | None, name: str) -> str:
    if bn is None:
        return x
    weights = {w.path.rsplit("/", 1)[-1]: np.asarray(w.numpy(), np.float32) for w in bn.weights}
    return g.node("BatchNormalization", [x, g.const(name + "_gamma", weights["gamma"]), g.const(name + "_beta", weights["beta"]),
                                         g.const(name + "_mean", weights["moving_mean"]),
                                         g.const(name + "_var", weights["moving_variance"])],
                  name, epsilon=float(bn.epsilon))


def _conv_transpose(g: _GraphBuilder, x: str, layer: keras.layers.Conv1DTranspose, name: str) -> str:
    kernel = np.asarray(layer.kernel.numpy(), np.float32)  # Keras [k, out, in] → ONNX [in, out, k]
    stride = int(layer.strides[0])
    inputs = [x, g.const(name + "_W", kernel.transpose(2, 1, 0))]
    if layer.use_bias:
        inputs.append(g.const(name + "_B", np.asarray(layer.bias.numpy(), np.float32)))
    return g.node("ConvTranspose", inputs, name, kernel_shape=[kernel.shape[0]], strides=[stride],
                  pads=_same_pads(kernel.shape[0], stride))


def _conv(g: _GraphBuilder, x: str, layer: keras.layers.Conv1D, name: str) -> str:
    kernel = np.asarray(layer.kernel.numpy(), np.float32)  # Keras [k, in, out] → ONNX [out, in, k]
    inputs = [x, g.const(name + "_W", kernel.transpose(2, 1, 0))]
    if layer.use_bias:
        inputs.append(g.const(name + "_B", np.asarray(layer.bias.numpy(), np.float32)))
    return g.node("Conv", inputs, name, kernel_shape=[kernel.shape[0]], pads=_same_pads(kernel.shape[0], 1))


def _repeat(g: _GraphBuilder, x: str, factor: int, name: str) -> str:
    """[n, c, t] → [n, c, t·factor], each sample repeated (UpSampling1D)."""
    x = g.node("Unsqueeze", [x, g.const(name + "_axis", np.array([3], np.int64))], name + "_unsqueeze")
    x = g.node("Expand", [x, g.const(name + "_shape", np.array([1, 1, 1, factor], np.int64))], name + "_expand")
    return g.node("Reshape", [x, g.const(name + "_flat", np.array([0, 0, -1], np.int64))], name)


def generator_to_onnx(generator: keras.Model) -> onnx.ModelProto:
    """The WaveGAN generator in inference mode: input `z` [n, latent_dim] → output `G_z` [n, slice_len, channels]."""
    if generator.__class__.__name__ != "WaveGANGenerator":
        raise UserError("The web export supports WaveGAN generators only.")
    g = _GraphBuilder()
    steps, channels = generator.z_reshape.target_shape
    kernel = np.asarray(generator.z_project.kernel.numpy(), np.float32)
    bias = np.asarray(generator.z_project.bias.numpy(), np.float32)
    # Column t·channels + c of the dense output is (time t, channel c); reorder to c·steps + t so a plain
    # reshape gives channels-first [n, c, steps].
    order = np.arange(steps * channels).reshape(steps, channels).T.reshape(-1)
    x = g.node("Gemm", ["z", g.const("z_project_W", kernel[:, order]), g.const("z_project_B", bias[order])], "z_project")
    x = g.node("Reshape", [x, g.const("z_reshape", np.array([-1, channels, steps], np.int64))], "z_reshape")
    x = g.node("Relu", [_batch_norm(g, x, generator.z_project_bn, "z_project_bn")], "relu")
    last = len(generator.upconvs) - 1
    for i, (conv, bn) in enumerate(zip(generator.upconvs, generator.upconv_bns)):
        name = f"upconv_{i}"
        if isinstance(conv, keras.layers.Conv1DTranspose):
            x = _conv_transpose(g, x, conv, name)
        else:  # nearest-neighbour upsampling then a stride-1 convolution
            upsample, inner = conv.layers
            x = _conv(g, _repeat(g, x, int(upsample.size), name + "_repeat"), inner, name)
        x = g.node("Tanh", [x], "tanh") if i == last else g.node("Relu", [_batch_norm(g, x, bn, name + "_bn")], "relu")
    if generator.pp_filt is not None:
        x = _conv(g, x, generator.pp_filt, "pp_filt")
    g.nodes.append(helper.make_node("Transpose", [x], ["G_z"], name="G_z", perm=[0, 2, 1]))
    graph = helper.make_graph(
        g.nodes, "wavegan_generator",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["n", generator.latent_dim])],
        [helper.make_tensor_value_info("G_z", TensorProto.FLOAT, ["n", generator.slice_len, generator.num_channels])],
        g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="wavegan")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def runtime_missing() -> list[str]:
    """onnxruntime-web files not installed in WEB_SOURCE/node_modules (empty when `npm ci --prefix web` has run)."""
    return [f for files in RUNTIME_FILES.values() for f in files if not os.path.isfile(os.path.join(ORT_DIST, f))]


def write_web_folder(generator: keras.Model, facts: dict[str, Any], out_dir: str) -> str:
    """Writes model, page, runtime and run facts into out_dir (replacing an earlier export there)."""
    missing = runtime_missing()
    if missing:
        where = os.path.relpath(WEB_SOURCE)
        where = WEB_SOURCE if where.startswith("..") else where
        raise UserError(f"onnxruntime-web is not installed ({missing[0]} is missing): run "
                        f"`npm ci --prefix {where}` once (it needs Node.js's npm), then export again.")
    out_dir = os.path.abspath(out_dir)
    if os.path.isdir(out_dir) and os.listdir(out_dir) and not os.path.isfile(os.path.join(out_dir, FACTS_FILE)):
        # The folder is replaced as a whole: never do that to one an earlier export did not write.
        raise UserError(f"{out_dir} already holds files that are not a web export: pass an empty or new --web_dir.")
    model = generator_to_onnx(generator)
    staging = out_dir + ".staging"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(PAGE_DIR, staging)
    runtime = os.path.join(staging, "runtime")
    os.makedirs(runtime)
    for files in RUNTIME_FILES.values():
        for name in files:
            shutil.copy2(os.path.join(ORT_DIST, name), runtime)
    onnx.save(model, os.path.join(staging, MODEL_FILE))
    with open(os.path.join(staging, FACTS_FILE), "w") as f:
        json.dump({**facts, "model_file": MODEL_FILE, "model_bytes": os.path.getsize(os.path.join(staging, MODEL_FILE))},
                  f, indent=2, sort_keys=True)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.rename(staging, out_dir)
    return out_dir


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files with the two headers that make the page cross-origin isolated: onnxruntime-web then
    runs on several threads (plain `python -m http.server` gives it one)."""

    def end_headers(self):
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format, *args):
        pass


def make_server(folder: str, port: int = 8000, host: str = "127.0.0.1") -> http.server.ThreadingHTTPServer:
    """A threaded static server of `folder` (port 0: any free port; `server.server_address` tells which)."""
    handler = partial(_Handler, directory=folder)
    http.server.ThreadingHTTPServer.allow_reuse_address = True
    return http.server.ThreadingHTTPServer((host, port), handler)


def serve(folder: str, port: int, print_fn: Callable[[str], None] = print) -> None:
    server = make_server(folder, port)
    host, port = server.server_address[:2]
    print_fn(f"Serving {folder} at http://{host}:{port}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def run_facts(run, step: int) -> dict[str, Any]:
    """What the page needs to know about the run (and shows)."""
    return {"model_type": run.model_type, "latent_dim": run.model.latent_dim, "sample_rate": run.data.sample_rate,
            "slice_len": run.data.slice_len, "num_channels": run.data.num_channels, "step": step,
            "post_proc_filter": bool(run.model.genr_pp)}


def run_web_mode(train_dir: str, kind, checkpoint: str | None, out_dir: str, serve_after: bool = False,
                 port: int = 8000, print_fn: Callable[[str], None] = print) -> str:
    """The `web` mode: export the run's generator and the page into out_dir, then optionally serve it."""
    from wavegan.train import checkpoints

    if kind.name != "wavegan":
        raise UserError(f"The web export supports WaveGAN runs only ({train_dir} is a {kind.name} run, whose "
                        "Griffin-Lim loop does not export to the browser); use `generate` to write WAV files instead.")
    generator, run, step = checkpoints.load_generator(train_dir, kind.build_generator, checkpoint)
    if run.data.classes:
        raise UserError(f"The web export supports unconditional runs only ({train_dir} is conditional on "
                        f"{len(run.data.classes)} classes); use `generate --generate_label` to write WAV files "
                        "instead.")
    folder = write_web_folder(generator, run_facts(run, step), out_dir)
    size = os.path.getsize(os.path.join(folder, MODEL_FILE))
    print_fn(f"Exported step {step} to {folder} (model {size / 1e6:.1f} MB). "
             f"Open it with: python -m http.server --directory {folder}")
    if serve_after:
        serve(folder, port, print_fn)
    return folder
