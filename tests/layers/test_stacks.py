"""wavegan.layers.stacks: the generator and critic skeletons both GANs share."""

import numpy as np
import pytest

from tests.model_fixtures import Z, tiny_pair


def test_unconditional_models_refuse_labels_and_conditional_ones_need_them():
    g_u, d_u = tiny_pair()
    g_c, d_c = tiny_pair(2)
    with pytest.raises(ValueError, match="takes no labels"):
        g_u(Z, labels=np.zeros(3, np.int32))
    with pytest.raises(ValueError, match="pass labels"):
        g_c(Z)
    with pytest.raises(ValueError, match="pass labels"):
        d_c(np.zeros((1, 16384, 1), np.float32))
