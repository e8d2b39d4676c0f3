"""The audit's undocumented deviations, fixed: summaries on batch statistics, |D| on the int16 scale,
eval.score saying what it converted."""

import os

import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from tests import audio_fixtures as fx
from tests import helpers
from wavegan.train import callbacks
from wavegan.models.kind import wavegan_gan
from wavegan.models import WaveGANGenerator
