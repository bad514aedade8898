# %% [markdown]
# # Lesson 7 — Phases of the 2D Ising model with a CNN
#
# Spins $s_i = \pm 1$ on an $L \times L$ square lattice with periodic boundaries and energy
# $E = -J \sum_{\langle ij \rangle} s_i s_j$ (nearest neighbours, $J = 1$, $k_B = 1$). Below
# the critical temperature the spins align (the **ordered**, ferromagnetic phase); above it
# they fluctuate independently on large scales (the **disordered**, paramagnetic phase).
# Onsager's exact solution puts the transition at
#
# $$T_c = \frac{2}{\ln(1 + \sqrt 2)} \approx 2.269 .$$
#
# Following the Ising CNN notebook of Mehta et al., *A high-bias, low-variance introduction
# to machine learning for physicists* (Physics Reports 810, 2019), we ask a network to tell
# the phases apart **without telling it where the transition is**: it trains only on
# configurations deep in each phase ($T < 2.0$ and $T > 2.5$), and then predicts across all
# temperatures — including the critical region it has never seen. Where its confidence
# crosses one half is an estimate of $T_c$.

# %%
import os

import numpy as np

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
import viz
from tinygrad_cnn import nn, optim
from tinygrad_cnn.data import DataLoader, Subset, T_c, ising
from tinygrad_cnn.plot import images, plot

tg.manual_seed(0)
FAST = os.environ.get("TUTORIAL_FAST") == "1"

# %% [markdown]
# ## 1. The data
#
# Mehta et al. sample 16 temperatures, $T = 0.25, 0.5, \dots, 4.0$, on a $40 \times 40$
# lattice. To run in seconds we use a $16 \times 16$ lattice, and a finer grid, $T = 1.0,
# 1.1, \dots, 3.5$, so that the crossing can be located between close neighbours. The
# configurations come from Monte Carlo (Wolff cluster and Metropolis updates; see
# `tinygrad_cnn.data.ising`) and are cached after the first run. Labels: 1 (ordered) for
# $T < T_c$, 0 (disordered) above.

# %%
L = 16
temperatures = np.round(np.arange(1.0, 3.51, 0.1), 2)
samples_per_T = 120 if FAST else 200
data = ising(L=L, temperatures=temperatures, samples_per_T=samples_per_T, seed=7)
T = data.temperatures
print(
    f"{len(data)} configurations {data.x.shape[1:]}, {len(temperatures)} temperatures "
    f"from {temperatures[0]} to {temperatures[-1]}"
)

# %% [markdown]
# One configuration from each phase and one at the transition: large aligned domains, domains
# of all sizes, and small fluctuating clusters.

# %%
show_T = [1.5, 2.3, 3.2]
examples = np.stack([data.x.numpy()[np.flatnonzero(np.isclose(T, t))[0], 0] for t in show_T])
images(
    examples,
    [f"T = {t:.2f}" for t in show_T],
    cmap="gray",
    vmin=-1,
    vmax=1,
    title=f"{L}×{L} configurations (white: spin up, black: spin down)",
)

# %% [markdown]
# The physicist's order parameter, the magnetisation per spin $m = \frac{1}{L^2}\sum_i s_i$,
# already shows the transition: $\langle |m| \rangle$ drops from 1 to about 0 around $T_c$,
# smoothly because the lattice is finite. Keep this curve in mind; the network will produce a
# similar one without being told about $m$.

# %%
abs_m = np.abs(data.x.numpy().mean(axis=(1, 2, 3)))
mean_abs_m = np.array([abs_m[T == t].mean() for t in temperatures])
plot(
    {"⟨|m|⟩": (temperatures, mean_abs_m)},
    title="mean |magnetisation| per spin",
    vlines=[T_c],
    ylim=(0, 1),
    xlabel="T",
    height=10,
)

# %% [markdown]
# The split. Only the temperatures clearly inside a phase are used for training and testing;
# the band $2.0 \le T \le 2.5$ around $T_c$ is held out completely.

# %%
labelled = np.flatnonzero((T < 2.0) | (T > 2.5))
critical = np.flatnonzero((T >= 2.0) & (T <= 2.5))
perm = np.random.default_rng(0).permutation(labelled)
n_test = len(perm) // 4
test_idx, train_idx = np.sort(perm[:n_test]), np.sort(perm[n_test:])
train_set, test_set = Subset(data, train_idx), Subset(data, test_idx)
print(
    f"train {len(train_set)}, test {len(test_set)} (both from T < 2.0 or T > 2.5); "
    f"{len(critical)} configurations near T_c never used in training"
)

# %% [markdown]
# ## 2. The network
#
# A small CNN that respects the lattice: **circular padding** (the lattice is a torus, Lesson
# 5), two 3×3 convolutions with a max pooling between them, then a **global average pool**
# that makes the prediction independent of where a feature sits, and a linear layer to two
# logits (disordered, ordered).

# %%
model = nn.Sequential(
    nn.Conv2d(1, 8, 3, padding=1, padding_mode="circular"),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(8, 16, 3, padding=1, padding_mode="circular"),
    nn.ReLU(),
    nn.AdaptiveAvgPool2d(1),
    nn.Flatten(),
    nn.Linear(16, 2),
)
summary = viz.summary(model, input_shape=(1, 1, L, L))  # prints the table

# %% [markdown]
# ## 3. Training on the two phases
#
# Cross-entropy, Adam, mini-batches of 64; a couple of passes over the data are plenty for
# this easy part of the problem.


# %%
def evaluate(dataset) -> tuple[float, float]:
    model.eval()
    loss, correct = 0.0, 0
    with tg.no_grad():
        for xb, yb in DataLoader(dataset, batch_size=512):
            logits = model(xb)
            loss += F.cross_entropy(logits, yb, reduction="sum").item()
            correct += int((logits.argmax(axis=1).numpy() == yb.numpy()).sum())
    return loss / len(dataset), correct / len(dataset)


opt = optim.Adam(model.parameters(), lr=3e-3)
loader = DataLoader(train_set, batch_size=64, shuffle=True, seed=0)
epochs = 3
for epoch in range(1, epochs + 1):
    model.train()
    for xb, yb in loader:
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    test_loss, test_acc = evaluate(test_set)
    print(f"epoch {epoch}: test loss {test_loss:.4f}, test accuracy {test_acc:.2%}")

# %% [markdown]
# ## 4. Predicting across the transition
#
# Now the real question. For every temperature we average the network's probability of
# "ordered" over configurations it has not trained on (the test part of the training
# temperatures, and everything in the critical band).

# %%
held_out = np.sort(np.concatenate([test_idx, critical]))
model.eval()
with tg.no_grad():
    probs = np.concatenate(
        [
            model(xb).softmax(axis=1).numpy()[:, 1]
            for xb, _ in DataLoader(Subset(data, held_out), batch_size=512)
        ]
    )
T_held = T[held_out]
p_ordered = np.array([probs[T_held == t].mean() for t in temperatures])
plot(
    {"P(ordered)": (temperatures, p_ordered), "⟨|m|⟩": (temperatures, mean_abs_m)},
    title="the network's P(ordered) and the magnetisation against temperature",
    hlines=[0.5],
    vlines=[T_c],
    ylim=(0, 1),
    xlabel="T",
    height=12,
)

# %% [markdown]
# The estimate of $T_c$: the temperature where $P(\text{ordered})$ crosses $\tfrac12$, by
# linear interpolation between the two neighbouring temperatures.

# %%
k = int(np.flatnonzero((p_ordered[:-1] >= 0.5) & (p_ordered[1:] < 0.5))[0])
t0, t1, p0, p1 = temperatures[k], temperatures[k + 1], p_ordered[k], p_ordered[k + 1]
tc_estimate = t0 + (p0 - 0.5) / (p0 - p1) * (t1 - t0)
rel_err = (tc_estimate - T_c) / T_c
print(f"P(ordered) = {p0:.3f} at T = {t0}, {p1:.3f} at T = {t1}")
print(
    f"estimated T_c = {tc_estimate:.3f};  Onsager: 2/ln(1+√2) = {T_c:.4f};  "
    f"difference {100 * rel_err:+.1f} %"
)

# %% [markdown]
# What did the network learn? Its output follows the magnetisation closely: per configuration,
# the probability of "ordered" is strongly correlated with $|m|$. Without being told, it found
# the order parameter (or something equivalent to it) — which is why it can place a
# transition it never saw. On a finite lattice the crossover is smooth and slightly shifted
# from the infinite-lattice $T_c$; larger lattices sharpen it.

# %%
corr = np.corrcoef(probs, abs_m[held_out])[0, 1]
print(f"correlation between P(ordered) and |m| over the held-out configurations: {corr:.3f}")

# %% [markdown]
# ## The claim
#
# Trained only on $T < 2.0$ and $T > 2.5$, the CNN classifies held-out configurations from
# those temperatures almost perfectly, and the temperature where its $P(\text{ordered})$
# crosses ½ lands within 5 % of Onsager's exact $T_c$.

# %%
assert test_acc > 0.97, test_acc
assert abs(rel_err) < 0.05, (tc_estimate, T_c)
print("Lesson 7 checks passed.")
