# %% [markdown]
# # Lesson 3 — The convolutional layer
#
# A fully connected layer treats an image as a bag of numbers: every output sees every pixel
# through its own weight, and moving the picture by one pixel presents it with an unrelated
# input. Images — and spin configurations, and calorimeter deposits — are not like that.
# Nearby pixels are strongly correlated, and a feature (an edge, a domain wall) means the same
# thing wherever it appears. A convolutional layer builds both facts in:
#
# * **locality** — each output looks only at a small $F \times F$ patch of the input, its
#   *receptive field*;
# * **weight sharing** — the same filter weights are used at every position.
#
# This lesson computes a convolution by hand, checks the output-size formula of the lecture
# on many settings, explains *depth*, and counts what locality and sharing save.

# %%
import itertools

import numpy as np

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn import nn
from tinygrad_cnn.plot import images

tg.manual_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. A convolution by hand
#
# For one input channel and one filter $w$ of size $F \times F$, output pixel $(i, j)$ is
#
# $$y_{ij} = b + \sum_{a=0}^{F-1}\sum_{c=0}^{F-1} w_{ac}\, x_{\,iS + a,\; jS + c},$$
#
# the filter laid on the input at offset $(iS, jS)$ with stride $S$. (Strictly this is a
# cross-correlation — a true convolution flips the filter — but a learned filter does not
# care, and every deep-learning library computes this.) Four nested loops, compared with the
# library's `conv2d`:


# %%
def conv2d_by_hand(x: np.ndarray, w: np.ndarray, b: float, stride: int, padding: int):
    """x (H, W), w (F, F) -> y (OH, OW), with zero padding."""
    x = np.pad(x, padding)
    F_ = w.shape[0]
    oh = (x.shape[0] - F_) // stride + 1
    ow = (x.shape[1] - F_) // stride + 1
    y = np.full((oh, ow), b, dtype=np.float64)
    for i in range(oh):
        for j in range(ow):
            for a in range(F_):
                for c in range(F_):
                    y[i, j] += w[a, c] * x[i * stride + a, j * stride + c]
    return y


x_np = rng.standard_normal((7, 7))
w_np = rng.standard_normal((3, 3))
y_hand = conv2d_by_hand(x_np, w_np, 0.5, stride=2, padding=1)
y_lib = F.conv2d(
    tg.Tensor(x_np[None, None]),  # (N=1, C=1, H, W)
    tg.Tensor(w_np[None, None]),  # (OC=1, IC=1, F, F)
    tg.Tensor([0.5], dtype=tg.float64),
    stride=2,
    padding=1,
)
print("by hand:", y_hand.shape, "  conv2d:", y_lib.shape)
err_hand = np.abs(y_lib.numpy()[0, 0] - y_hand).max()
print(f"max difference: {err_hand:.1e}")

# %% [markdown]
# ### A filter is a feature detector
#
# Take a filter that subtracts the left column of its patch from the right column. On a
# picture of a bright square it responds only where the brightness changes from left to right:
# on the square's vertical edges, positive on one side and negative on the other, and zero
# everywhere the picture is flat. The same three-by-three filter finds edges *anywhere* in the
# picture; that is weight sharing at work.

# %%
img = np.zeros((16, 16), dtype=np.float32)
img[4:12, 5:11] = 1.0
edge = np.array([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]], dtype=np.float32)
response = F.conv2d(tg.Tensor(img[None, None]), tg.Tensor(edge[None, None]), padding=1)
images(img, ["input: a bright rectangle"], cmap="gray")
images(response[0, 0], ["response of the vertical-edge filter"], cmap="coolwarm")
r = response.numpy()[0, 0]
flat_inside = np.abs(r[6:10, 7:9]).max()
print(
    f"response inside the rectangle {flat_inside:.1f}; on its left edge {r[8, 4:6]}, "
    f"right edge {r[8, 10:12]}"
)

# %% [markdown]
# ## 2. The output size: (W − F + 2P)/S + 1
#
# Along each axis, an input of width $W$ padded with $P$ zeros on both sides has
# $W + 2P$ positions; a filter of width $F$ fits at $W + 2P - F + 1$ of them, and with stride
# $S$ we keep every $S$-th:
#
# $$W_{\text{out}} = \frac{W - F + 2P}{S} + 1 .$$
#
# When $S$ does not divide $W - F + 2P$, the last partial step is dropped (the division
# rounds down), as in every major library. Some common cases:

# %%
cases = [(28, 3, 0, 1), (28, 3, 1, 1), (28, 5, 2, 1), (28, 3, 1, 2), (32, 5, 0, 1), (7, 3, 1, 3)]
print(" W   F   P   S   formula  conv2d")
for W, F_, P, S in cases:
    out = F.conv2d(tg.zeros(1, 1, W, W), tg.zeros(1, 1, F_, F_), stride=S, padding=P)
    print(f"{W:2d}  {F_:2d}  {P:2d}  {S:2d}   {(W - F_ + 2 * P) / S + 1:6.2f}  {out.shape[-1]:5d}")

# %% [markdown]
# With $P = (F-1)/2$ and $S = 1$ ("same" padding for odd $F$) the output keeps the input's
# size, which is why 3×3 filters come with padding 1. Now every combination of a grid of
# settings, including rectangular inputs and different strides along the two axes:

# %%
checked = 0
for H, W, F_, P, S in itertools.product(range(3, 12), (5, 9), (1, 2, 3, 5), (0, 1, 2), (1, 2, 3)):
    if F_ > H + 2 * P or F_ > W + 2 * P:
        continue  # the filter does not fit even once
    out = F.conv2d(tg.zeros(1, 1, H, W), tg.zeros(1, 1, F_, F_), stride=(S, 1), padding=P)
    assert out.shape[-2:] == ((H - F_ + 2 * P) // S + 1, W - F_ + 2 * P + 1), (H, W, F_, P, S)
    checked += 1
print(f"output size formula verified on {checked} settings")

# %% [markdown]
# ## 3. Depth = input channels
#
# A colour image has three channels; a hidden layer of a CNN has as many channels as the layer
# before had filters. In the lecture's words, *depth* is the number of input channels — not
# the depth of the network. Each filter extends through all of them: a layer with $C_{in}$
# input channels and $C_{out}$ filters of size $F \times F$ has a weight tensor of shape
# $(C_{out}, C_{in}, F, F)$, and each output channel is the **sum over input channels** of
# 2D convolutions:

# %%
x3 = tg.randn(1, 3, 10, 10)
conv = nn.Conv2d(3, 4, kernel_size=3)
print("weight:", conv.weight.shape, " bias:", conv.bias.shape)
y = conv(x3)
k = 2  # one output channel, rebuilt from single-channel convolutions
by_channel = (
    sum(F.conv2d(x3[:, c : c + 1], conv.weight[k : k + 1, c : c + 1]) for c in range(3))
    + conv.bias[k]
)
err_depth = np.abs(by_channel.numpy()[0, 0] - y.numpy()[0, k]).max()
print(f"output channel {k} = Σ_c conv(x_c, w_{k}c) + b_{k}: max difference {err_depth:.1e}")

# %% [markdown]
# ## 4. What locality and sharing save
#
# Compare a convolution with a fully connected layer that produces an output of the same size
# from the same input: a 28×28 image in, 8 feature maps of 26×26 out.

# %%
conv = nn.Conv2d(1, 8, kernel_size=3)
n_in, n_out = 28 * 28, 8 * 26 * 26
conv_params = sum(p.numel() for p in conv.parameters())
dense_params = n_in * n_out + n_out
print(f"Conv2d(1→8, 3×3):        {conv_params:>10,} parameters  (8·1·3·3 weights + 8 biases)")
print(f"Linear({n_in}→{n_out}):   {dense_params:>10,} parameters")
print(f"ratio: {dense_params / conv_params:,.0f}×")

# %% [markdown]
# The convolution *is* a linear map, so it has a matrix; we can recover it column by column,
# by applying the layer to each unit input $e_k$ (without the bias). For a single filter on a
# 28×28 input the matrix is 676 × 784. Locality shows as sparsity — each row has at most
# $F^2 = 9$ non-zeros — and weight sharing as repetition: the whole matrix contains only 9
# distinct non-zero numbers, the filter's.

# %%
conv1 = nn.Conv2d(1, 1, kernel_size=3, bias=False)
basis = tg.eye(n_in).reshape(n_in, 1, 28, 28)  # every unit image, as a batch
with tg.no_grad():
    columns = conv1(basis).reshape(n_in, -1)  # (784, 676): column k of the matrix per row
M = columns.numpy().T  # (676, 784)
x_test = rng.standard_normal((1, 1, 28, 28)).astype(np.float32)
with tg.no_grad():
    err_matrix = np.abs(M @ x_test.reshape(-1) - conv1(tg.Tensor(x_test)).numpy().reshape(-1)).max()
nonzero = M[M != 0]
print(
    f"matrix {M.shape}: {np.count_nonzero(M)} non-zeros of {M.size} "
    f"({100 * np.count_nonzero(M) / M.size:.2f} %), at most {(M != 0).sum(axis=1).max()} per row"
)
print(f"distinct non-zero values: {len(np.unique(nonzero))}  (the filter has 9 weights)")
print(f"M @ x vs conv(x): max difference {err_matrix:.1e}")

# %% [markdown]
# ## The claim
#
# The library's convolution computes the lecture's formula; its output size is
# $\lfloor (W - F + 2P)/S \rfloor + 1$ on every setting tried; a filter spans all input
# channels; and compared with a dense layer of the same input and output size, a convolution
# is a sparse matrix with shared entries, using thousands of times fewer parameters.

# %%
assert err_hand < 1e-5
assert flat_inside < 1e-6 and r[8, 4] > 0 and r[8, 11] < 0
assert checked > 300
assert err_depth < 1e-5
assert conv_params == 80 and dense_params > 50_000 * conv_params
assert (M != 0).sum(axis=1).max() == 9 and len(np.unique(nonzero)) == 9
assert err_matrix < 1e-4
print("Lesson 3 checks passed.")
