# %% [markdown]
# # Lesson 11 — Jet images at a collider
#
# At the LHC a W boson produced with a transverse momentum $p_T$ much larger than its mass
# decays to a quark and an antiquark so collimated that the detector sees a single **jet**.
# The same detector sees vastly more jets that come from a single quark or gluon (**QCD
# jets**). Telling the two apart — *W tagging* — is a classic problem of collider physics,
# and a natural one for a CNN once the jet is drawn as an image: the calorimeter is a grid
# of cells in pseudorapidity $\eta$ and azimuth $\phi$, and each cell records the $p_T$
# deposited in it.
#
# Two physics facts make the W jet different:
#
# * **Two prongs at a fixed mass.** The two quarks share the W's momentum as $z$ and
#   $1 - z$ and are separated by $\Delta R \approx m_W / (p_T \sqrt{z(1-z)})$, about
#   $2 m_W / p_T \approx 0.6$ for $p_T \approx 275$ GeV; the jet's invariant mass is
#   $m_W \approx 80$ GeV. A QCD jet gets its mass only from gluon radiation, and its mass
#   spectrum falls.
# * **Colour.** The W is a colour singlet: its quarks radiate mostly *between* themselves,
#   while a QCD jet radiates all around.
#
# Physicists condense this into a few numbers — the jet mass, and the N-subjettiness ratio
# $\tau_{21} = \tau_2/\tau_1$, small when the jet looks like two prongs rather than one. We
# compare cuts on those numbers with a CNN that reads the whole image, following
# L. de Oliveira, M. Kagan, L. Mackey, B. Nachman and A. Schwartzman, *Jet-images — deep
# learning edition*, JHEP 07 (2016) 069.

# %%
import os

import numpy as np

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
import viz
from tinygrad_cnn import nn, optim
from tinygrad_cnn.data import DataLoader, TensorDataset, jet_images
from tinygrad_cnn.data.jets import W_MASS
from tinygrad_cnn.metrics import roc_auc_score, roc_curve
from tinygrad_cnn.plot import images, plot

tg.manual_seed(0)
FAST = os.environ.get("TUTORIAL_FAST") == "1"

# %% [markdown]
# ## 1. The jets
#
# `jet_images` simulates them: the W's two-body decay, then a small angle-ordered parton
# shower (iterated $1 \to 2$ splittings with a soft- and collinear-enhanced rate, and a running
# coupling), then the cells. Half the jets are W jets (label 1), half QCD (label 0), with
# $250 < p_T < 300$ GeV, drawn on $25 \times 25$ cells of $0.1 \times 0.1$ in $(\eta, \phi)$.
# The images come **preprocessed** as in the paper: the leading subjet is moved to the centre,
# the image is rotated so that the second subjet lies straight below it, and flipped so that
# the right half carries more $p_T$ — the symmetries a physicist knows about are removed so
# that the network does not have to learn them.

# %%
n_jets = 8000 if FAST else 16000
data = jet_images(n_jets, seed=1)
y = data.y.numpy()
n_train = int(0.75 * n_jets)
print(f"{n_jets} jets {tuple(data.x.shape[1:])}: {y.sum()} W, {len(y) - y.sum()} QCD")
print(f"p_T from {data.pt.min():.0f} to {data.pt.max():.0f} GeV")

# %% [markdown]
# The jet mass, computed from the jet's constituents: a sharp peak at the W mass for W jets
# (with a tail below it when a soft quark falls outside the jet), and a falling spectrum for
# QCD jets.

# %%
bins = np.arange(0, 165, 5.0)
centres = bins[:-1] + 2.5
hist_w = np.histogram(data.mass[y == 1], bins)[0] / (y == 1).sum()
hist_q = np.histogram(data.mass[y == 0], bins)[0] / (y == 0).sum()
plot(
    {"W jets": (centres, hist_w), "QCD jets": (centres, hist_q)},
    title="jet mass (fraction of jets per 5 GeV)",
    vlines=[W_MASS],
    ylim=(0, max(hist_w.max(), hist_q.max())),
    xlabel="m [GeV]",
    height=12,
)

# %% [markdown]
# And $\tau_{21}$: with $\tau_N = \sum_i p_{T,i} \min_k \Delta R_{ik}$ the $p_T$-weighted
# distance of the constituents to the nearest of $N$ axes, $\tau_2 / \tau_1$ is small when two
# axes describe the jet much better than one.

# %%
tbins = np.linspace(0, 1, 26)
tcentres = (tbins[:-1] + tbins[1:]) / 2
plot(
    {
        "W jets": (tcentres, np.histogram(data.tau21[y == 1], tbins)[0] / (y == 1).sum()),
        "QCD jets": (tcentres, np.histogram(data.tau21[y == 0], tbins)[0] / (y == 0).sum()),
    },
    title="τ21 = τ2/τ1 (fraction of jets per bin)",
    xlabel="τ21",
    height=12,
)

# %% [markdown]
# ## 2. The average jet images
#
# The well-known picture of the paper: averaged over many jets, the W image has its second
# prong about six cells below the centre and the radiation concentrated between the prongs;
# the QCD image is one core with radiation spread around it. The colour is
# $\log_{10}$ of the mean $p_T$ per cell (GeV).

# %%
x_all = data.x.numpy()
mean_w = x_all[y == 1, 0].mean(axis=0)
mean_q = x_all[y == 0, 0].mean(axis=0)
log_means = np.log10(np.stack([mean_w, mean_q]) + 1e-3)[:, None]  # (2, 1, 25, 25)
images(
    log_means,
    ["W jets", "QCD jets"],
    cmap="viridis",
    title="log10 ⟨p_T / GeV⟩ per cell",
    xlabel="φ (rotated)",
    ylabel="η (rotated)",
)
profile = [f"{v:6.2f}" for v in mean_w[12:22, 12]]
print("W jets, mean p_T down the centre column from the centre:", " ".join(profile))

# %% [markdown]
# ## 3. Cuts on physics variables
#
# A tagger assigns each jet a score; cutting on it keeps a fraction of W jets (the **signal
# efficiency** $\varepsilon_S$) and of QCD jets ($\varepsilon_B$). Sliding the cut traces the
# ROC curve; its area (AUC) is the probability that a random W jet scores higher than a random
# QCD jet. Physicists quote the **background rejection** $1/\varepsilon_B$ at a fixed signal
# efficiency, here 50 %. Two one-parameter cuts: a mass window around $m_W$ (score
# $-|m - m_W|$) and a cut on $\tau_{21}$ (score $-\tau_{21}$). Both are judged on the jets
# the network will be tested on.

# %%
test = slice(n_train, None)
y_test = y[test]


def rejection_at_half(scores: np.ndarray) -> float:
    fpr, tpr, _ = roc_curve(y_test, scores)
    return 1.0 / np.interp(0.5, tpr, fpr)


cut_scores = {
    "mass window": -np.abs(data.mass[test] - W_MASS),
    "τ21": -data.tau21[test],
}
cut_auc = {name: roc_auc_score(y_test, s) for name, s in cut_scores.items()}
for name, s in cut_scores.items():
    print(
        f"{name:12s} AUC {cut_auc[name]:.3f}, rejection at ε_S = 50 %: {rejection_at_half(s):.0f}"
    )
best_cut = max(cut_auc, key=cut_auc.get)

# %% [markdown]
# ## 4. A CNN tagger
#
# The network sees only the cells (divided by 50 GeV to bring them near 1): one convolution
# layer of eight 5×5 filters, one 2×2 max pooling and a small fully connected head — a
# miniature of the paper's networks. One pooling step, not two: the mass lives in the
# *distance* between the prongs (six cells for a symmetric W decay, one cell ≈ 10 % of the
# mass), and every pooling step blurs where a feature sits. Zero padding is the right choice
# here: the image is not periodic, and the jet sits in the middle.

# %%
x_net = x_all / 50.0
train_set = TensorDataset(tg.Tensor(x_net[:n_train]), tg.Tensor(y[:n_train]))
x_test = tg.Tensor(x_net[test])

model = nn.Sequential(
    nn.Conv2d(1, 8, 5, padding=2),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(8 * 12 * 12, 64),
    nn.ReLU(),
    nn.Linear(64, 2),
)
viz.summary(model, input_shape=(1, 1, 25, 25))


def cnn_scores() -> np.ndarray:
    model.eval()
    with tg.no_grad():
        return model(x_test).softmax(axis=1).numpy()[:, 1]


opt = optim.Adam(model.parameters(), lr=2e-3)
epochs = 6 if FAST else 5
history = []
for epoch in range(1, epochs + 1):
    model.train()
    for xb, yb in DataLoader(train_set, batch_size=128, shuffle=True, seed=epoch):
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    history.append(roc_auc_score(y_test, cnn_scores()))
    print(f"epoch {epoch}: last batch loss {loss.item():.3f}, test AUC {history[-1]:.4f}")

# %% [markdown]
# ## 5. ROC curves
#
# Background rejection against signal efficiency (log scale), the way the paper draws it: the
# higher the curve, the better the tagger. The AUC sums up the whole curve; at a given working
# point the ranking can differ — in this simple simulation the W mass peak is sharper than in
# a real detector, so around $\varepsilon_S = 50\,\%$ the mass window alone rejects QCD jets
# about as well as the network, while the network wins at low and at high efficiency.

# %%
scores = {"CNN": cnn_scores(), **cut_scores}
curves = {}
for name, s in scores.items():
    fpr, tpr, _ = roc_curve(y_test, s)
    keep = (tpr >= 0.2) & (tpr <= 0.9) & (fpr > 0)
    curves[name] = (tpr[keep], 1.0 / fpr[keep])
plot(
    curves,
    title="background rejection 1/ε_B against signal efficiency ε_S",
    logy=True,
    vlines=[0.5],
    xlabel="ε_S",
    height=14,
)
cnn_auc = roc_auc_score(y_test, scores["CNN"])
cnn_rejection = rejection_at_half(scores["CNN"])
print(f"CNN          AUC {cnn_auc:.3f}, rejection at ε_S = 50 %: {cnn_rejection:.0f}")
print(f"best single cut: {best_cut} (AUC {cut_auc[best_cut]:.3f})")

# %% [markdown]
# ## 6. What the first filters look like
#
# The eight 5×5 filters of the first layer (blue negative, red positive). They are rough —
# eight filters, a few epochs — and unlike the edge detectors of the digits (Lesson 8), most
# of them are largely positive patches: they add up the $p_T$ of a neighbourhood, the raw
# material of a mass, which weighs each cell's $p_T$ by its distance to the others; the dense
# layer after the pooling, which knows where each patch sits, does the weighing. The sums of
# their weights say which are mainly positive.

# %%
filters = model[0].weight
images(filters, [f"filter {i}" for i in range(8)], title="first-layer filters (8 × 1 × 5 × 5)")
print("sum of each filter's weights:", np.round(filters.detach().numpy().sum(axis=(1, 2, 3)), 2))

# %% [markdown]
# Does the network know the mass? Among the test jets it calls most W-like, the mass is
# concentrated at $m_W$, although it was never told what a mass is.

# %%
top = np.argsort(-scores["CNN"])[: len(y_test) // 4]
tagged_mass = data.mass[test][top]
print(f"median mass of the 25 % most W-like jets by the CNN: {np.median(tagged_mass):.1f} GeV")

# %% [markdown]
# ## The claim
#
# On these jets the mass is the stronger of the two physics variables, and the CNN, reading
# only the cells, beats the best single cut in AUC; the jets it calls W-like have the W mass.

# %%
assert 70 < np.median(data.mass[y == 1]) < 90
assert np.median(data.tau21[y == 1]) < np.median(data.tau21[y == 0])
assert cnn_auc > cut_auc[best_cut], (cnn_auc, cut_auc)
assert 70 < np.median(tagged_mass) < 90
print("Lesson 11 checks passed.")
