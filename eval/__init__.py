"""Evaluation of generated audio: the digit classifier, Inception score, Fréchet and nearest-neighbour distances."""
