"""Environment variables that keep TensorFlow quiet and CPU-independent, set before it loads.

``import dqn_helpers`` runs this (it imports no TensorFlow itself), so that a notebook that
imports Keras after dqn_helpers gets clean cell outputs too. Both are defaults: a value the
user set first wins, and once TensorFlow is loaded they change nothing.

- ``TF_CPP_MIN_LOG_LEVEL=3``: no C++ log lines on stderr (JupyterLab shows them in the cell
  output), not even the harmless "NodeDef mentions attribute" line under deterministic ops;
- ``TF_ENABLE_ONEDNN_OPTS=0``: no oneDNN reordered kernels, which announce themselves on stderr
  and make results depend on the CPU.
"""
import os
import sys

if "tensorflow" not in sys.modules:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
