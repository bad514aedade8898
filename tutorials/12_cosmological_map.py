# %% [markdown]
# # Lesson 12 — Reading a cosmological map
#
# Maps of the early universe — the temperature of the microwave background, the density of
# matter in a slice of the sky — look like noise. They are noise, but very particular noise:
# to a good approximation a **Gaussian random field**, whose statistics are fixed entirely by
# its **power spectrum** $P(k)$, the variance of its Fourier modes as a function of the
# wavenumber. Cosmological parameters live in the power spectrum; reading them off a map is
# a regression problem.
#
# Our stand-in: periodic $32 \times 32$ maps with $P(k) \propto k^{-n_s}$, and the spectral
# index $n_s$ drawn per map between 1 and 3 — smaller $n_s$ gives grainier maps, larger
# $n_s$ smoother ones. A CNN will estimate $n_s$ *with an error bar*: it predicts a mean and a
# variance and is trained with the Gaussian negative log-likelihood, and we check that its
# error bars mean what they say. Because the maps are periodic, the network's convolutions
# use **circular padding** (Lesson 5), and we check the symmetry that buys.
#
# Regression with uncertainties and the physics of the estimator follow the spirit of
# P. Mehta, M. Bukov, C.-H. Wang, A. G. R. Day, C. Richardson, C. K. Fisher and D. J. Schwab,
# *A high-bias, low-variance introduction to machine learning for physicists*, Physics
# Reports 810 (2019) 1–124.

# %%
import math
import os

import numpy as np

import tinygrad_cnn as tg
import viz
from tinygrad_cnn import nn, optim
from tinygrad_cnn.data import DataLoader, TensorDataset, gaussian_random_fields
from tinygrad_cnn.data.random_fields import wavenumbers
from tinygrad_cnn.plot import images, plot

tg.manual_seed(0)
FAST = os.environ.get("TUTORIAL_FAST") == "1"

# %% [markdown]
# ## 1. The maps
#
# `gaussian_random_fields` draws white noise, multiplies its Fourier transform by
# $\sqrt{P(k)}$ and transforms back; each map is then scaled to zero mean and unit variance,
# so that only the *shape* of the spectrum is left to read (the amplitude would otherwise give
# $n_s$ away through the variance alone).

# %%
L = 32
n_s_range = (1.0, 3.0)
n_maps = 2400 if FAST else 4000
data = gaussian_random_fields(n_maps, L, n_s_range, seed=3)
n_s = data.n_s
n_train = int(0.75 * n_maps)
print(f"{n_maps} maps {tuple(data.x.shape[1:])}, n_s from {n_s.min():.2f} to {n_s.max():.2f}")
examples = [int(np.argmin(np.abs(n_s - v))) for v in (1.0, 2.0, 3.0)]
images(
    data.x[examples],
    [f"n_s = {n_s[i]:.2f}" for i in examples],
    cmap="coolwarm",
    title="Gaussian random fields, P(k) ∝ k^(−n_s)",
)

# %% [markdown]
# The power spectrum measured from a map: $|F_k|^2 / L^2$ averaged over the modes in each
# ring of $|k|$ (in units of the box's fundamental mode). On a log–log plot it is a straight
# line of slope $-n_s$, scattered because each ring holds only a few modes.

# %%
k_grid = wavenumbers(L)
rings = np.rint(k_grid).astype(int)
k_rings = np.arange(1, L // 2)
spectra = {}
for i in examples[::2]:
    power = np.abs(np.fft.fft2(data.x.numpy()[i, 0])) ** 2 / L**2
    spectra[f"n_s = {n_s[i]:.2f}"] = (
        np.log10(k_rings),
        [power[rings == j].mean() for j in k_rings],
    )
plot(spectra, title="measured P(k), log-log (x: log10 k)", logy=True, xlabel="log10 k")

# %% [markdown]
# ## 2. The best one can do
#
# For a Gaussian field the power spectrum holds all the information, and the likelihood of
# the modes is known: each independent Fourier mode has $|F_k|^2/L^2 = A k^{-n_s} e$ with
# $e \sim \text{Exp}(1)$. Maximising it over $n_s$ (and the unknown amplitude $A$) gives the
# **maximum-likelihood estimate**, and the Fisher information gives its error,
# $\sigma(n_s) = 1/\sqrt{\sum_k (\ln k - \overline{\ln k})^2}$ over the independent modes —
# the Cramér–Rao bound, which no estimator can beat on average. This is the benchmark for the
# network.

# %%
kx, ky = np.meshgrid(np.fft.fftfreq(L, 1 / L), np.fft.fftfreq(L, 1 / L), indexing="ij")
modes = ((ky > 0) | ((ky == 0) & (kx > 0))) & (np.abs(kx) < L / 2) & (np.abs(ky) < L / 2)
log_k = np.log(k_grid[modes])
cramer_rao = 1 / math.sqrt(np.sum((log_k - log_k.mean()) ** 2))
test_maps = data.x.numpy()[n_train:, 0].astype(np.float64)
power = (np.abs(np.fft.fft2(test_maps)) ** 2)[:, modes]  # (maps, modes); A absorbs 1/L²
grid = np.linspace(0.0, 4.0, 801)
# profile likelihood: for each n, the best A is mean(power · k^n), and
# log L(n) = −N log A(n) + n Σ log k − N
amp = power @ np.exp(np.outer(log_k, grid)) / len(log_k)  # (maps, grid)
loglike = -len(log_k) * np.log(amp) + grid * log_k.sum()
n_s_mle = grid[loglike.argmax(axis=1)]
n_s_test = n_s[n_train:]
rmse_mle = math.sqrt(np.mean((n_s_mle - n_s_test) ** 2))
print(f"{modes.sum()} independent modes per map; Cramér–Rao bound σ(n_s) = {cramer_rao:.3f}")
print(f"maximum likelihood on the test maps: RMS error {rmse_mle:.3f}")

# %% [markdown]
# ## 3. A network with error bars
#
# Three convolutions with circular padding, two 2×2 max poolings, a **global average pool**
# (the statistics of a homogeneous field do not depend on where one looks) and a linear layer
# to two numbers: the mean $\mu$ (as an offset from the middle of the prior range) and
# $\log \sigma^2$. The loss is `nn.GaussianNLLLoss`,
# $\tfrac12 \left[\log \sigma^2 + (\mu - n_s)^2/\sigma^2\right]$: a network that claims a small
# $\sigma$ pays heavily when it is wrong, one that claims a large $\sigma$ pays the
# $\log \sigma^2$ term, so the minimum is at the honest variance.


# %%
def make_model(padding_mode: str) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 8, 5, padding=2, padding_mode=padding_mode),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1, padding_mode=padding_mode),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 16, 3, padding=1, padding_mode=padding_mode),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(16, 2),
    )


centre = sum(n_s_range) / 2
model = make_model("circular")
viz.summary(model, input_shape=(1, 1, L, L))


def predict(net: nn.Module, x: tg.Tensor) -> tuple[tg.Tensor, tg.Tensor]:
    out = net(x)
    return out[:, 0] + centre, out[:, 1].exp()  # mean, variance


train_set = TensorDataset(data.x[:n_train], data.y[:n_train])
x_test = data.x[n_train:]
loss_fn = nn.GaussianNLLLoss()
epochs = 6
loader = DataLoader(train_set, batch_size=64, shuffle=True, seed=0)
opt = optim.Adam(model.parameters(), lr=3e-3)
schedule = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * len(loader))
curve = []
for epoch in range(1, epochs + 1):
    model.train()
    for xb, yb in loader:
        mean, var = predict(model, xb)
        loss = loss_fn(mean, yb, var)
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
    model.eval()
    with tg.no_grad():
        mean, var = predict(model, x_test)
        test_loss = loss_fn(mean, tg.Tensor(n_s_test.astype(np.float32)), var).item()
    rmse = math.sqrt(np.mean((mean.numpy() - n_s_test) ** 2))
    curve.append(test_loss)
    print(f"epoch {epoch}: test Gaussian NLL {test_loss:.3f}, RMS error {rmse:.3f}")

# %% [markdown]
# ## 4. Are the error bars right?
#
# If the predicted $\sigma$ is honest, the **pulls** $(\mu - n_s^{\text{true}})/\sigma$ over
# the test maps follow a unit Gaussian: mean 0, standard deviation 1, 68 % of them within
# ±1 and 95 % within ±2. With $N$ test maps the mean of the pulls scatters by $1/\sqrt N$ and
# their standard deviation by about $1/\sqrt{2N}$.

# %%
mu, sigma = mean.numpy().astype(np.float64), np.sqrt(var.numpy().astype(np.float64))
pulls = (mu - n_s_test) / sigma
n_test = len(pulls)
se_mean, se_std = 1 / math.sqrt(n_test), 1 / math.sqrt(2 * n_test)
print(f"pulls: mean {pulls.mean():+.3f} (± {se_mean:.3f}), std {pulls.std():.3f} (± {se_std:.3f})")
print(
    f"within ±1: {np.mean(np.abs(pulls) < 1):.1%} (68.3 % for a Gaussian), "
    f"within ±2: {np.mean(np.abs(pulls) < 2):.1%} (95.4 %)"
)
edges = np.linspace(-4, 4, 33)
mids = (edges[:-1] + edges[1:]) / 2
density = np.histogram(pulls, edges)[0] / (n_test * (edges[1] - edges[0]))
gauss = np.exp(-(mids**2) / 2) / math.sqrt(2 * math.pi)
plot(
    {"pulls": (mids, density), "unit Gaussian": (mids, gauss)},
    title="distribution of the pulls (μ − n_s)/σ",
    xlabel="pull",
    height=12,
)
rmse_cnn = math.sqrt(np.mean((mu - n_s_test) ** 2))
prior_width = n_s_range[1] - n_s_range[0]
print(
    f"RMS error: CNN {rmse_cnn:.3f}, maximum likelihood {rmse_mle:.3f}, Cramér–Rao "
    f"{cramer_rao:.3f}; the prior range is {prior_width:.1f} wide (RMS {prior_width / 12**0.5:.3f})"
)
print(f"median predicted σ: {np.median(sigma):.3f}")

# %% [markdown]
# The network does not reach the maximum-likelihood estimate — that one knows the answer's
# form (a Gaussian field, a power law) — but it learns a good part of the way from examples
# alone, and its error bars are calibrated.
#
# ## 5. The periodic box and circular padding
#
# The maps live on a torus: shifting a map by any number of pixels, with wrap-around
# (`np.roll`), gives an equally valid map with the same $n_s$. With circular padding every
# convolution commutes with such a shift, max pooling too when the shift is a multiple of its
# stride, and the global average pool forgets where the features are. So a shift by a
# multiple of 4 (two 2×2 poolings) leaves the output unchanged up to rounding. The same
# network with zero padding (the same weights) sees an artificial edge, which moves with the
# shift.

# %%
x_probe = data.x.numpy()[n_train : n_train + 16]
x_rolled = np.roll(x_probe, shift=(8, 20), axis=(2, 3))
zero_padded = make_model("zeros")
zero_padded.load_state_dict(model.state_dict())
zero_padded.eval()
change = {}
with tg.no_grad():
    for name, net in (("circular", model), ("zeros", zero_padded)):
        a = net(tg.Tensor(x_probe)).numpy()
        b = net(tg.Tensor(x_rolled)).numpy()
        change[name] = float(np.max(np.abs(a - b)))
        print(f"{name:8s} padding: the outputs change by up to {change[name]:.1e}")

# %% [markdown]
# ## The claim
#
# The CNN estimates the spectral index to an RMS error below 10 % of the prior range, within
# a factor 2.5 of the maximum-likelihood estimate; its pulls have mean 0 and standard
# deviation 1 within 0.15 (a few times their sampling error: a network's variance is learned
# from finite data, too); with circular padding its output does not change under a periodic
# shift (to float32 rounding), with zero padding it does.

# %%
assert rmse_cnn < 0.1 * prior_width, rmse_cnn
assert rmse_cnn < 2.5 * rmse_mle, (rmse_cnn, rmse_mle)
assert abs(rmse_mle - cramer_rao) < 0.3 * cramer_rao, (rmse_mle, cramer_rao)
assert abs(pulls.mean()) < 0.15 and abs(pulls.std() - 1) < 0.15, (pulls.mean(), pulls.std())
assert change["circular"] < 1e-5 and change["zeros"] > 1e-3, change
print("Lesson 12 checks passed.")
