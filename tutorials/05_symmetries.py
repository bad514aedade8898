# %% [markdown]
# # Lesson 5 — Symmetries
#
# Symmetries are at the heart of physics, and they are the reason convolutional networks
# work. A map $f$ is **equivariant** under a transformation $g$ if transforming the input
# transforms the output in the same way,
#
# $$f(g \cdot x) = g \cdot f(x),$$
#
# and **invariant** if the output does not change at all, $f(g\cdot x) = f(x)$. A convolution
# is translation-equivariant: shift the picture and the feature maps shift with it. A
# classifier should usually be invariant: a cat moved to the left is still a cat, and an Ising
# configuration translated on its torus is the same physical state.
#
# We check these statements numerically, see exactly what breaks them, and then turn to a
# symmetry that convolution does *not* give for free: the $\mathbb{Z}_2$ spin flip
# $s \to -s$ of the Ising model.

# %%
import os

import numpy as np

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn import nn, optim
from tinygrad_cnn.data import ising
from tinygrad_cnn.data.ising import energy_per_spin
from tinygrad_cnn.plot import images

FAST = os.environ.get("TUTORIAL_FAST") == "1"
tg.manual_seed(0)
rng = np.random.default_rng(0)


def shift(t: tg.Tensor, dy: int, dx: int) -> tg.Tensor:
    """Translate images (N, C, H, W) by (dy, dx) on the torus: the group action g·x."""
    return tg.Tensor(np.roll(t.numpy(), (dy, dx), axis=(-2, -1)))


# %% [markdown]
# ## 1. Convolution commutes with translations — on a torus
#
# An Ising lattice is periodic, so the natural padding is **circular**: the row above the top
# row is the bottom row. With it, a convolution commutes exactly with every translation.

# %%
L = 16
x = tg.Tensor(rng.choice([-1.0, 1.0], size=(1, 1, L, L)).astype(np.float32))
conv_circ = nn.Conv2d(1, 4, kernel_size=3, padding=1, padding_mode="circular")
dy, dx = 3, 5
with tg.no_grad():
    lhs = conv_circ(shift(x, dy, dx))  # f(g·x)
    rhs = shift(conv_circ(x), dy, dx)  # g·f(x)
err_circ = np.abs(lhs.numpy() - rhs.numpy()).max()
print(f"circular padding: max |f(g·x) − g·f(x)| = {err_circ:.1e} for a shift by ({dy}, {dx})")

# %% [markdown]
# ## 2. What breaks it: zero padding at the border
#
# With zero padding the layer sees an edge — zeros instead of the spins that wrap around — so
# outputs near the border depend on where the picture sits. Same weights, zero padding:

# %%
conv_zero = nn.Conv2d(1, 4, kernel_size=3, padding=1)
conv_zero.load_state_dict(conv_circ.state_dict())
with tg.no_grad():
    diff = np.abs(conv_zero(shift(x, dy, dx)).numpy() - shift(conv_zero(x), dy, dx).numpy())
err_map = diff.max(axis=(0, 1))  # (L, L): the worst channel at each position
images(err_map, ["|f(g·x) − g·f(x)|, zero padding"], cmap="hot")
border = np.zeros((L, L), dtype=bool)
for r in (0, L - 1, dy - 1, dy):  # the image border, and where the old border moved to
    border[r, :] = True
for c in (0, L - 1, dx - 1, dx):
    border[:, c] = True
err_inside = err_map[~border].max()
err_border = err_map[border].max()
print(
    f"zero padding: max error {err_border:.2f} on the border lines, "
    f"{err_inside:.1e} everywhere else"
)

# %% [markdown]
# The damage is confined to a band one filter-radius wide along the edges, both the picture's
# own and the old edges that the shift moved inside. For large images this is a small effect;
# on a 16×16 lattice the band along the picture's own border alone holds almost a quarter of
# the sites, which is why periodic systems should use circular padding.
#
# ## 3. What breaks it: stride
#
# A stride-2 convolution keeps every other output. Shifting the input by two sites shifts
# the output by one, so equivariance survives for even shifts. An odd shift has no
# counterpart on the coarser output grid: no translation of the output reproduces it.

# %%
conv_s2 = nn.Conv2d(1, 4, kernel_size=3, stride=2, padding=1, padding_mode="circular")
with tg.no_grad():
    y = conv_s2(x)
    even = np.abs(conv_s2(shift(x, 2, 4)).numpy() - shift(y, 1, 2).numpy()).max()
    y_odd = conv_s2(shift(x, 1, 0)).numpy()
odd = min(
    np.abs(y_odd - shift(y, a, b).numpy()).max() for a in range(L // 2) for b in range(L // 2)
)
print(
    f"stride 2: shift (2, 4) → output shift (1, 2), error {even:.1e}; "
    f"shift (1, 0): best match over all output shifts still off by {odd:.2f}"
)

# %% [markdown]
# ## 4. From equivariance to invariance: global pooling
#
# Averaging a feature map over all positions (global average pooling) forgets *where* a
# feature was and keeps *how much* of it there was. Equivariant features followed by a
# global average are therefore exactly invariant:

# %%
with tg.no_grad():
    feats = conv_circ(x).relu()
    feats_shifted = conv_circ(shift(x, dy, dx)).relu()
    gap = F.adaptive_avg_pool2d(feats, 1).reshape(-1).numpy()
    gap_shifted = F.adaptive_avg_pool2d(feats_shifted, 1).reshape(-1).numpy()
err_gap = np.abs(gap - gap_shifted).max()
print(f"conv → ReLU → global average pool: max change under translation {err_gap:.1e}")

# %% [markdown]
# The Ising CNN of `tinygrad_cnn.models` has circular convolutions and a global average pool —
# but between them a 2×2 max pooling with stride 2, which (like any stride) only respects
# even translations. Its output is invariant under shifts by even numbers of sites and only
# approximately under odd ones:

# %%
from tinygrad_cnn.models import ising_cnn  # noqa: E402

model = ising_cnn(L)
model.eval()
with tg.no_grad():
    out = model(x).numpy()
    err_even = np.abs(model(shift(x, 2, 6)).numpy() - out).max()
    err_oddshift = np.abs(model(shift(x, 1, 0)).numpy() - out).max()
print(model)
print(
    f"ising_cnn: change of the logits under a shift by (2, 6): {err_even:.1e}; "
    f"by (1, 0): {err_oddshift:.1e}"
)

# %% [markdown]
# ## 5. The Z₂ symmetry of the Ising model
#
# The Ising energy $E = -J\sum_{\langle ij\rangle} s_i s_j$ is unchanged when every spin
# flips, $s \to -s$. Below $T_c$ the symmetry is spontaneously broken: a configuration is
# mostly up *or* mostly down, and both are "ordered". We generate configurations at two
# temperatures in each phase.

# %%
n_per_T = 60 if FAST else 100
data = ising(L=L, temperatures=[1.0, 1.5, 3.0, 3.5], samples_per_T=n_per_T, seed=5)
s = data.x.numpy()[:, 0]  # (N, L, L)
m = s.mean(axis=(1, 2))
ordered = data.y.numpy() == 1
E_flip_err = np.abs(energy_per_spin(s) - energy_per_spin(-s)).max()
print(f"{len(s)} configurations; max |E(s) − E(−s)| per spin = {E_flip_err:.1e}")
print(f"ordered ones: {np.sum(m[ordered] > 0)} with m > 0, {np.sum(m[ordered] < 0)} with m < 0")

# %% [markdown]
# A convolution knows nothing of this symmetry: biases and ReLUs treat $+1$ and $-1$
# differently. To see what that costs, train on a *biased* data set in which every ordered
# configuration has been turned to point up (as if the sampler had never visited the other
# half of the ordered phase), and then test on ordered configurations pointing *down*.

# %%
x_all = data.x.numpy()
y_all = data.y.numpy()
flip = np.where(ordered & (m < 0), -1.0, 1.0)  # turn every ordered configuration up
up = x_all * flip[:, None, None, None]
train_x, train_y = tg.Tensor(up.astype(np.float32)), tg.Tensor(y_all)
down_x = tg.Tensor((-up[ordered]).astype(np.float32))  # the same ordered states, flipped


class Z2Symmetric(nn.Module):
    """f_sym(x) = f(x) + f(−x): invariant under x → −x by construction."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        return self.inner(x) + self.inner(-x)


def train(net: nn.Module, steps: int) -> nn.Module:
    opt = optim.Adam(net.parameters(), lr=3e-3)
    net.train()
    for _ in range(steps):
        idx = rng.integers(0, len(train_y), size=32)
        loss = F.cross_entropy(net(train_x[idx]), train_y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    return net


def accuracy(net: nn.Module, xs: tg.Tensor, label: int) -> float:
    with tg.no_grad():
        return float((net(xs).argmax(axis=1).numpy() == label).mean())


steps = 150 if FAST else 250
tg.manual_seed(1)
plain = train(ising_cnn(L, channels=8), steps)
tg.manual_seed(1)
symmetric = train(Z2Symmetric(ising_cnn(L, channels=8)), steps)
acc = {
    name: (accuracy(net, train_x[tg.Tensor(ordered)], 1), accuracy(net, down_x, 1))
    for name, net in (("plain CNN", plain), ("Z2-symmetric CNN", symmetric))
}
for name, (a_up, a_down) in acc.items():
    print(
        f"{name:17s}: ordered & up (seen) {a_up:6.1%}   ordered & down (never seen) {a_down:6.1%}"
    )

# %% [markdown]
# The plain network has learned "mostly up means ordered", a shortcut that the biased data
# allowed, and calls the flipped states disordered. The symmetric network cannot even express
# that shortcut: $f(x) + f(-x)$ takes the same value on $s$ and $-s$, so it classifies both
# halves of the ordered phase alike. The other cure is data — train on both signs (the Monte
# Carlo data above contains both) or flip configurations at random during training — which
# teaches the symmetry instead of building it in.
#
# ## The claim
#
# Convolution with circular padding is exactly translation-equivariant; zero padding breaks
# equivariance only along the borders and stride breaks it for shifts that are not multiples
# of the stride; global average pooling turns equivariance into invariance; and a network
# made symmetric under $s \to -s$ generalises to the flipped ordered phase where a plain one
# trained on biased data does not.

# %%
assert err_circ < 1e-5
assert err_inside < 1e-5 and err_border > 0.1
assert even < 1e-5 and odd > 0.1
assert err_gap < 1e-5
assert err_even < 1e-5 and err_oddshift > 1e-4
assert E_flip_err == 0
assert acc["Z2-symmetric CNN"][1] >= 0.95 and acc["Z2-symmetric CNN"][0] >= 0.95
assert acc["plain CNN"][0] >= 0.95 and acc["plain CNN"][1] < 0.5
print("Lesson 5 checks passed.")
