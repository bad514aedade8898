"""``tinygrad_cnn.utils.data`` is ``tinygrad_cnn.data`` (the same module object), so PyTorch's
``from torch.utils.data import DataLoader, TensorDataset, random_split`` carries over as
``from tinygrad_cnn.utils.data import ...``."""

from __future__ import annotations

import sys

from .. import data

__all__ = ["data"]

# the import system finds submodules in sys.modules: the data package, under its second name
sys.modules[__name__ + ".data"] = data
sys.modules[__name__ + ".data.transforms"] = data.transforms
