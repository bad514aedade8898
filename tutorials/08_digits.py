# %% [markdown]
# # Lesson 8 — Handwritten digits
#
# The classic first task of a CNN: read handwritten digits. We use the 1,797 digits of 8×8
# pixels that ship with scikit-learn (so nothing needs downloading), train a LeNet-style
# network to at least 97 % test accuracy, show how to load MNIST (70,000 digits of 28×28) for
# those who have the files, and then look inside the trained network: its filters and the
# feature maps they produce.

# %%
import os

import numpy as np

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
import viz
from tinygrad_cnn import models, optim
from tinygrad_cnn.data import DataLoader, digits, mnist
from tinygrad_cnn.plot import images

tg.manual_seed(0)
FAST = os.environ.get("TUTORIAL_FAST") == "1"

# %% [markdown]
# ## 1. The data
#
# Grey levels scaled to $[0, 1]$, shape $(N, 1, 8, 8)$; a stratified split keeps 20 % of each
# class for testing.

# %%
train_set, test_set = digits(train=True), digits(train=False)
x_test, y_test = test_set.tensors
print(f"train {len(train_set)}, test {len(test_set)}, images {tuple(x_test.shape[1:])}")
print("labels of the first test images:", y_test.numpy()[:8])
images(x_test[:8], [f"label {y}" for y in y_test.numpy()[:8]], cmap="gray", vmin=0, vmax=1)

# %% [markdown]
# ## 2. A LeNet-style network
#
# Two blocks of convolution → batch norm → ReLU → 2×2 max pooling, then a small fully
# connected classifier with dropout. On 8×8 inputs the two poolings leave 2×2 maps of 64
# channels. `models.lenet` builds it for any square image size.

# %%
model = models.lenet(in_channels=1, num_classes=10, image_size=8)
print(model)
summary = viz.summary(model, input_shape=(1, 1, 8, 8))  # prints the table

# %% [markdown]
# ## 3. Training
#
# Adam with a learning rate that decays along a cosine over the epochs (large steps early,
# small ones at the end, so the final weights settle).


# %%
def accuracy(xs: tg.Tensor, ys: tg.Tensor) -> tuple[float, np.ndarray]:
    model.eval()
    with tg.no_grad():
        pred = model(xs).argmax(axis=1).numpy()
    return float((pred == ys.numpy()).mean()), pred


epochs = 6 if FAST else 10
opt = optim.Adam(model.parameters(), lr=2e-3)
schedule = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
loader = DataLoader(train_set, batch_size=32, shuffle=True, seed=0)
for epoch in range(1, epochs + 1):
    model.train()
    total = 0.0
    for xb, yb in loader:
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(yb)
    schedule.step()
    acc, _ = accuracy(x_test, y_test)
    print(f"epoch {epoch:2d}  train loss {total / len(train_set):.4f}  test accuracy {acc:.2%}")

test_acc, pred = accuracy(x_test, y_test)

# %% [markdown]
# Which digits get confused with which? Rows are the true digit, columns the prediction.

# %%
confusion = np.zeros((10, 10), dtype=int)
np.add.at(confusion, (y_test.numpy(), pred), 1)
print("      " + " ".join(f"{c:3d}" for c in range(10)))
for r in range(10):
    print(f"  {r}:  " + " ".join(f"{v:3d}" if v else "  ." for v in confusion[r]))

# %% [markdown]
# ## 4. MNIST, for those who have the files
#
# `tinygrad_cnn.data.mnist(root)` reads the four IDX files of MNIST (raw or gzipped) from a
# folder; `download=True` fetches them (about 11 MB). The same network, built for 28×28
# (`models.lenet(image_size=28)`), reaches about 99 % on it; from the command line,
# `tinygrad-cnn train --dataset mnist --data-dir DIR` does the whole run. This lesson only
# looks for the files in `$MNIST_ROOT` (default: `data`) and never downloads.

# %%
mnist_root = os.environ.get("MNIST_ROOT", "data")
try:
    mnist_test = mnist(mnist_root, train=False)
    xs, ys = mnist_test.tensors
    print(f"MNIST test set from {mnist_root}: {tuple(xs.shape)}, labels {ys.numpy()[:8]}")
    images(xs[:4], [f"label {y}" for y in ys.numpy()[:4]], cmap="gray", title="MNIST")
except FileNotFoundError:
    print(
        f"MNIST files not found in {mnist_root!r}: set MNIST_ROOT to their folder, or call "
        "mnist(root, download=True) to fetch them."
    )

# %% [markdown]
# ## 5. Inside the network
#
# The 32 filters of the first convolution, each 3×3 (blue negative, red positive; in a
# terminal without colour, dark to bright). Many are small edge and stroke detectors: a bright
# side against a dark side, at various orientations.

# %%
n_filters = model.conv1.weight.shape[0]
images(
    model.conv1.weight,
    [f"filter {k}" for k in range(n_filters)],
    cmap="coolwarm",
    title=f"first-layer filters ({n_filters} × 1 × 3 × 3)",
)

# %% [markdown]
# And what they make of one test digit: the 32 feature maps after the first convolution,
# batch norm and ReLU. Each map lights up where its filter's pattern occurs — one responds
# to the left edges of strokes, another to horizontal bars, another to the background.

# %%
i = int(np.flatnonzero(pred == y_test.numpy())[0])  # the first correctly classified digit
maps = {}
hook = model.relu1.register_forward_hook(lambda mod, inputs, out: maps.update(relu1=out))
model.eval()
with tg.no_grad():
    model(x_test[i : i + 1])
hook.remove()
print(f"test digit {i}: a {y_test.numpy()[i]}, predicted {pred[i]}")
images(x_test[i, 0], [f"input: a {y_test.numpy()[i]}"], cmap="gray", vmin=0, vmax=1)
images(
    maps["relu1"][0],
    [f"map {k}" for k in range(maps["relu1"].shape[1])],
    cmap="viridis",
    title="feature maps after conv1 → bn1 → relu1 (32 × 8 × 8)",
)
active = float((maps["relu1"].numpy() > 0).mean())
print(f"fraction of active (non-zero) units after the first ReLU: {active:.0%}")

# %% [markdown]
# ## The claim
#
# A LeNet-style CNN reaches at least 97 % accuracy on the held-out 8×8 digits.

# %%
assert test_acc >= 0.97, test_acc
assert maps["relu1"].shape == (1, 32, 8, 8)
print("Lesson 8 checks passed.")
