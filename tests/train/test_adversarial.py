"""wavegan.train.adversarial: the GANs' train mode (its choice of strategy)."""

import keras
import pytest
import tensorflow as tf


@pytest.mark.parametrize("setting, flag", [(dict(strategy="mirrored"), "--train_strategy mirrored"),
                                           (dict(jit="off"), "--train_jit off"),
                                           (dict(precision="mixed_float16"), "mixed_float16")])
def test_tensorflow_only_settings_are_refused_in_one_sentence_on_jax(monkeypatch, setting, flag):
    from wavegan import config
    from wavegan.train import adversarial as training
    from wavegan.errors import UserError

    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    with pytest.raises(UserError, match=flag) as refused:
        training.make_strategy(config.TrainConfig(**setting).validate())
    assert str(refused.value).count(". ") == 0 and str(refused.value).endswith(".")
    assert training.make_strategy(config.TrainConfig().validate()) is tf.distribute.get_strategy()
