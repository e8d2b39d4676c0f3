"""One test for every Layer and Model of the project, in the manner of keras-hub's `TestCase.run_layer_test`.

`run_layer_test(cls, init_kwargs, input_data=... or input_shape=..., ...)` builds the object, calls it
(with training=False and training=True where its `call` takes `training`), checks the output's shape and
dtype, round-trips `get_config()` → `from_config()` (same config, same output on the same weights), saves it
(a Model directly, a Layer inside a small functional Model) as `.keras` and reloads it with
`keras.saving.load_model` (same output), and builds and runs it again under the `mixed_bfloat16` policy
(output finite, every float variable float32).

Every Layer and Model class defined in the project's packages goes through it at least once;
tests/test_harness.py fails when one does not, so a new layer without a harness test fails CI.
"""

from __future__ import annotations

import inspect
import json
import os
import tempfile
from typing import Any, Callable

import keras
import numpy as np
from keras import ops

MIXED_POLICY = "mixed_bfloat16"


def _numpy(tree):
    return keras.tree.map_structure(lambda t: np.asarray(ops.convert_to_numpy(t)), tree)


def _shapes(tree):
    return keras.tree.map_structure(lambda t: tuple(t.shape), tree)


def _shape_tree(expected):
    """A shape (tuple of ints) or a nest of them, as the nest of tuples `_shapes` gives."""
    if isinstance(expected, (tuple, list)) and all(d is None or isinstance(d, int) for d in expected):
        return tuple(expected)
    return type(expected)(_shape_tree(e) for e in expected)


def _assert_close(got, want, atol: float, rtol: float, what: str) -> None:
    got, want = keras.tree.flatten(got), keras.tree.flatten(want)  # a reloaded Model gives lists for tuples
    assert len(got) == len(want), f"{what}: {len(got)} outputs, expected {len(want)}"
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g, np.float64), np.asarray(w, np.float64), rtol=rtol, atol=atol,
                                   err_msg=what)


def _takes_training(instance) -> bool:
    return "training" in inspect.signature(instance.call).parameters


def _is_tensor_like(value) -> bool:
    return isinstance(value, np.ndarray) or (hasattr(value, "shape") and hasattr(value, "dtype")
                                             and not isinstance(value, (int, float, str)))


def _input_for(value, name: str):
    value = np.asarray(ops.convert_to_numpy(value))
    return keras.Input(shape=value.shape[1:], batch_size=value.shape[0], dtype=str(value.dtype), name=name)


def _kwargs(init_kwargs: dict | Callable[[], dict]) -> dict:
    """init_kwargs may be a function, for constructors that take fresh sub-models (AdversarialTrainer)."""
    return dict(init_kwargs() if callable(init_kwargs) else init_kwargs)


def _float_variables(instance) -> list:
    return [v for v in instance.weights if "float" in str(v.dtype)]


def run_layer_test(cls: type, init_kwargs: dict | Callable[[], dict], input_data: Any = None,
                   input_shape: tuple | None = None, call_kwargs: dict | None = None,
                   expected_output_shape: Any = None, expected_output_dtype: str | None = "float32",
                   expected_output: Any = None, weights: list | None = None, atol: float = 1e-6,
                   rtol: float = 1e-6):
    """Runs the harness on `cls(**init_kwargs)` and returns the built instance (float32 policy).

    `input_data` is the first positional argument of `call` (an array, or a tuple the call unpacks);
    `input_shape` gives a U(−1, 1) float32 input instead. `call_kwargs` go to every call; arrays among
    them are inputs of the saved functional Model too. `weights` (set after building) and
    `expected_output` pin the output to known values; the output otherwise only has to agree with itself
    after the config round trip and after saving. Every check runs for every class: there is no switch to
    leave one out.
    """
    if input_data is None:
        if input_shape is None:
            raise ValueError("run_layer_test needs input_data or input_shape")
        input_data = np.random.default_rng(0).uniform(-1, 1, input_shape).astype(np.float32)
    call_kwargs = dict(call_kwargs or {})

    instance = cls(**_kwargs(init_kwargs))
    assert isinstance(instance, keras.layers.Layer), f"{cls.__name__} is not a Keras Layer or Model"
    takes_training = _takes_training(instance)
    inference = dict(call_kwargs, training=False) if takes_training else call_kwargs

    instance(input_data, **inference)  # builds
    if weights is not None:
        instance.set_weights(weights)
    output = _numpy(instance(input_data, **inference))
    if expected_output_shape is not None:
        assert _shapes(output) == _shape_tree(expected_output_shape), \
            f"{cls.__name__}: output shape {_shapes(output)}, expected {expected_output_shape}"
    if expected_output_dtype is not None:
        dtypes = {str(t.dtype) for t in keras.tree.flatten(output)}
        assert dtypes == {expected_output_dtype}, f"{cls.__name__}: output dtype {dtypes}"
    if expected_output is not None:
        _assert_close(output, expected_output, atol, rtol, f"{cls.__name__}: output")
    assert all(np.isfinite(t).all() for t in keras.tree.flatten(output)), f"{cls.__name__}: non-finite output"

    # get_config → from_config: the same config (JSON-serialisable, as .keras files store it), the same
    # weights, the same output.
    config = instance.get_config()
    json.dumps(keras.saving.serialize_keras_object(instance))
    clone = cls.from_config(config)
    clone(input_data, **inference)
    assert clone.get_config() == config, f"{cls.__name__}: get_config changed through from_config"
    assert clone.count_params() == instance.count_params()
    clone.set_weights(instance.get_weights())
    _assert_close(_numpy(clone(input_data, **inference)), output, atol, rtol, f"{cls.__name__}: from_config")

    _check_saving(instance, input_data, inference, output, atol, rtol)

    if takes_training:
        trained = _numpy(instance(input_data, **dict(call_kwargs, training=True)))
        assert _shapes(trained) == _shapes(output), f"{cls.__name__}: training=True changes the output shape"
        assert all(np.isfinite(t).all() for t in keras.tree.flatten(trained))

    _check_mixed_precision(cls, init_kwargs, input_data, inference, _shapes(output))
    return instance


def _check_saving(instance, input_data, inference: dict, output, atol: float, rtol: float) -> None:
    name = type(instance).__name__
    if isinstance(instance, keras.Model):
        model, args = instance, ((input_data,), inference)
    else:
        # A Layer is saved inside a small functional Model whose inputs are the layer's tensor arguments.
        tensors = {k: v for k, v in inference.items() if _is_tensor_like(v)}
        constants = {k: v for k, v in inference.items() if k not in tensors}
        first = keras.tree.map_structure(lambda v: _input_for(v, "x"), input_data) \
            if not isinstance(input_data, tuple) else tuple(_input_for(v, f"x{i}") for i, v in enumerate(input_data))
        extra = {k: _input_for(v, k) for k, v in tensors.items()}
        model = keras.Model([first, extra] if extra else first, instance(first, **extra, **constants))
        args = (([input_data, tensors] if extra else input_data,), {})
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, f"{name}.keras")
        model.save(path)
        restored = keras.saving.load_model(path)
    assert type(restored) is type(model), f"{name}: reloaded as {type(restored).__name__}"
    got = _numpy(restored(*args[0], **args[1]))
    _assert_close(got, output, atol, rtol, f"{name}: saved and reloaded")


def _check_mixed_precision(cls, init_kwargs, input_data, inference: dict, shapes) -> None:
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(MIXED_POLICY)
    try:
        instance = cls(**_kwargs(init_kwargs))
        output = _numpy(instance(input_data, **inference))
    finally:
        keras.config.set_dtype_policy(previous)
    name = cls.__name__
    assert _shapes(output) == shapes, f"{name} under {MIXED_POLICY}: output shape {_shapes(output)}"
    assert all(np.isfinite(np.asarray(t, np.float32)).all() for t in keras.tree.flatten(output)), \
        f"{name} under {MIXED_POLICY}: non-finite output"
    wrong = [(v.path, str(v.dtype)) for v in _float_variables(instance) if str(v.dtype) != "float32"]
    assert not wrong, f"{name} under {MIXED_POLICY}: variables not float32: {wrong}"
