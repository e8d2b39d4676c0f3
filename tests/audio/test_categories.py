"""wavegan.audio.categories: the WaveNet's global-conditioning categories from file paths."""

import pytest

from wavegan.audio import categories
from wavegan.errors import UserError


def test_categories_from_paths():
    assert categories.category_of("/d/Seven_0a2b_nohash_0.wav", "prefix") == "Seven"
    assert categories.category_of("/d/spk3/x.wav", "folder") == "spk3"
    assert categories.category_of("/VCTK/wav48/p225/p225_001.wav", "vctk") == "225"
    names = categories.category_names(["a/One_1.wav", "a/Two_1.wav", "a/One_2.wav"], "prefix")
    assert names == ["One", "Two"] and categories.category_id("Two", names, "prefix") == 1
    with pytest.raises(UserError):
        categories.category_of("/d/noprefix.wav", "prefix")
    with pytest.raises(UserError):
        categories.category_id("Nine", names, "prefix")
