# %% [markdown]
# # Lesson 6 — Batch normalisation
#
# Training works best when the inputs of every layer are centred around zero with a spread of
# order one. Then activations such as tanh and the sigmoid work in their steep middle part,
# neurons are not saturated, and gradients do not vanish on their way back through the
# network. The inputs of the *first* layer we can standardise ourselves; those of the hidden
# layers keep changing as the weights before them learn.
#
# **Batch normalisation** (Ioffe and Szegedy, 2015) standardises them on the fly. For each
# feature $i$ of a layer's input, over the mini-batch,
#
# $$\hat z_i = \frac{z_i - \mathrm{E}[z_i]}{\sqrt{\mathrm{Var}[z_i] + \epsilon}}, \qquad
#   y_i = \gamma_i\, \hat z_i + \beta_i .$$
#
# The second step matters: forcing every feature to mean 0 and variance 1 could take away
# what the network needs to represent (a sigmoid would be stuck in its linear part), so a
# learned scale $\gamma_i$ and shift $\beta_i$ give that freedom back. The network can even
# undo the normalisation ($\gamma = \sqrt{\mathrm{Var}}$, $\beta = \mathrm{E}$) if that is
# best. In practice it speeds up learning a lot and acts as a mild regulariser.

# %%
import os

import numpy as np

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
import viz
from tinygrad_cnn import nn, optim
from tinygrad_cnn.data import digits
from tinygrad_cnn.plot import plot

FAST = os.environ.get("TUTORIAL_FAST") == "1"
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Saturation
#
# The sigmoid $\sigma(z) = 1/(1 + e^{-z})$ has derivative $\sigma'(z) = \sigma(z)(1 -
# \sigma(z))$: at most 1/4, at $z = 0$, and exponentially small once $|z|$ is a few units.
# Backpropagation multiplies one such factor per layer.

# %%
z = tg.Tensor([0.0, 1.0, 2.0, 5.0, 10.0], requires_grad=True)
z.sigmoid().sum().backward()
for zi, g in zip(z.numpy(), z.grad.numpy(), strict=True):
    print(f"σ'({zi:4.1f}) = {g:.2e}")
print(f"ten layers at the best point: (1/4)^10 = {0.25**10:.1e}")

# %% [markdown]
# ## 2. Normalise, then scale and shift — by hand and with `BatchNorm1d`
#
# In training mode the layer uses the statistics of the current batch (the biased variance,
# dividing by $N$) and keeps running averages of them for later:
# $\text{running} \leftarrow (1 - m)\,\text{running} + m\,\text{batch statistic}$, with
# momentum $m = 0.1$ and the unbiased variance (dividing by $N - 1$).

# %%
N, C = 32, 5
zb = tg.Tensor((3.0 + 2.0 * rng.standard_normal((N, C))).astype(np.float32))  # off-centre
bn = nn.BatchNorm1d(C)
with tg.no_grad():
    bn.weight.copy_(tg.Tensor(rng.uniform(0.5, 2.0, C)))
    bn.bias.copy_(tg.Tensor(rng.uniform(-1.0, 1.0, C)))

z_np = zb.numpy()
mean, var = z_np.mean(axis=0), z_np.var(axis=0)  # biased variance, as in training
by_hand = (z_np - mean) / np.sqrt(var + bn.eps) * bn.weight.numpy() + bn.bias.numpy()
bn.train()
out = bn(zb)
err_bn = np.abs(out.numpy() - by_hand).max()
print(f"BatchNorm1d (train) vs by hand: max difference {err_bn:.1e}")
print(f"normalised features: mean {((z_np - mean) / np.sqrt(var + bn.eps)).mean(axis=0).round(6)}")
expect_rm = 0.9 * 0 + 0.1 * mean
expect_rv = 0.9 * 1 + 0.1 * z_np.var(axis=0, ddof=1)
err_running = max(
    np.abs(bn.running_mean.numpy() - expect_rm).max(),
    np.abs(bn.running_var.numpy() - expect_rv).max(),
)
print(f"running statistics after one batch: max difference from the formula {err_running:.1e}")

# %% [markdown]
# ### Train versus eval
#
# In training mode a sample's output depends on the other samples of its batch. That is fine
# for learning, but a trained model must give one answer per input, even for a batch of one.
# In eval mode (`model.eval()`) the layer uses the running statistics instead, so each sample
# is transformed on its own.

# %%
other = tg.Tensor(rng.standard_normal((N, C)).astype(np.float32))
mixed = tg.cat([zb[:1], other[1:]])  # sample 0 with different companions
with tg.no_grad():
    bn.train()
    t_same, t_mixed = bn(zb)[0].numpy(), bn(mixed)[0].numpy()
    bn.eval()
    e_same, e_mixed = bn(zb)[0].numpy(), bn(mixed)[0].numpy()
train_dep = np.abs(t_same - t_mixed).max()
eval_dep = np.abs(e_same - e_mixed).max()
print(
    f"sample 0, change when its batch-mates change: train mode {train_dep:.3f}, "
    f"eval mode {eval_dep:.1e}"
)

# %% [markdown]
# ## 3. A deep sigmoid network with and without batch normalisation
#
# The task: the 8×8 handwritten digits bundled with scikit-learn (1,438 training and 359 test
# images), flattened to 64 grey levels in $[0, 1]$ — positive, not centred. The network:
# eight hidden layers of 64 sigmoid units, then 10 outputs; once plain, once with a
# `BatchNorm1d` between each linear layer and its sigmoid. Both start from the same weights
# and train with the same optimizer.

# %%
train_set, test_set = digits(train=True), digits(train=False)
x_train = train_set.tensors[0].reshape(len(train_set), -1)  # (1438, 64)
y_train = train_set.tensors[1]
x_test = test_set.tensors[0].reshape(len(test_set), -1)
y_test = test_set.tensors[1]
DEPTH, WIDTH = 8, 64


def deep_sigmoid_net(batchnorm: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    n_in = 64
    for _ in range(DEPTH):
        layers.append(nn.Linear(n_in, WIDTH))
        if batchnorm:
            layers.append(nn.BatchNorm1d(WIDTH))
        layers.append(nn.Sigmoid())
        n_in = WIDTH
    layers.append(nn.Linear(n_in, 10))
    return nn.Sequential(*layers)


tg.manual_seed(0)
plain = deep_sigmoid_net(batchnorm=False)
tg.manual_seed(0)
normed = deep_sigmoid_net(batchnorm=True)  # the same Linear weights: only BN differs

# %% [markdown]
# ### Gradients at initialisation, layer by layer
#
# One backward pass on a batch, before any training. `viz.show` folds the graph into one node
# per layer (`depth=1`) and prints the norm of the gradient that reached each layer's output,
# coloured on a log scale (the operations after the last `Linear` are the cross-entropy). We
# keep the graph (`retain_graph=True`) so that it can compute those intermediate gradients.

# %%
xb, yb = x_train[:128], y_train[:128]


def linear_grad_norms(net: nn.Sequential) -> tuple[tg.Tensor, list[float]]:
    net.zero_grad()
    loss = F.cross_entropy(net(xb), yb)
    loss.backward(retain_graph=True)
    return loss, [
        float(np.linalg.norm(m.weight.grad.numpy())) for m in net if isinstance(m, nn.Linear)
    ]


loss_plain, norms_plain = linear_grad_norms(plain)
viz.show(loss_plain, depth=1, collapse=False, title="without batch normalisation")
loss_normed, norms_normed = linear_grad_norms(normed)
viz.show(loss_normed, depth=1, collapse=False, title="with batch normalisation")
print("‖∂L/∂W‖ of each Linear layer, input side first:")
print("  layer  without BN   with BN")
for k, (a, b) in enumerate(zip(norms_plain, norms_normed, strict=True), start=1):
    print(f"  {k:5d}  {a:10.2e}  {b:8.2e}")

# %% [markdown]
# Without normalisation the gradient shrinks by a factor of four to eight per sigmoid layer on
# its way back: the first layers hardly learn. With normalisation every layer receives a
# gradient of similar size.
#
# The visualizer also flags the `Linear` layers of the *normalised* network, for a different
# reason: their biases receive no gradient at all. A batch norm right after a linear layer
# subtracts the batch mean, and with it any constant the bias adds, so the loss does not
# depend on that bias. Such layers are normally built with `bias=False`.

# %%
bias_grads = [float(np.abs(m.bias.grad.numpy()).max()) for m in normed if isinstance(m, nn.Linear)]
print("max |∂L/∂b| of the Linear layers followed by BatchNorm1d:", f"{max(bias_grads[:-1]):.1e}")

# %% [markdown]
# ### Training curves
#
# Both networks train with the same SGD with momentum, the same batches and the same step
# size.


# %%
def train(net: nn.Sequential, steps: int, lr: float = 0.1) -> tuple[list[int], list[float]]:
    opt = optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    batches = np.random.default_rng(1)  # the same batch sequence for both networks
    net.train()
    curve_steps, curve = [], []
    running = []
    for step in range(1, steps + 1):
        idx = batches.integers(0, len(y_train), size=64)
        loss = F.cross_entropy(net(x_train[idx]), y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        running.append(loss.item())
        if step % 25 == 0:
            curve_steps.append(step)
            curve.append(float(np.mean(running[-25:])))
    net.eval()
    return curve_steps, curve


def test_accuracy(net: nn.Module) -> float:
    with tg.no_grad():
        return float((net(x_test).argmax(axis=1).numpy() == y_test.numpy()).mean())


steps = 500 if FAST else 1000
curve_plain = train(plain, steps)
curve_normed = train(normed, steps)
plot(
    {"without BN": curve_plain, "with BN": curve_normed},
    title="training loss (mean over 25 steps)",
    logy=True,
    xlabel="step",
)
acc_plain, acc_normed = test_accuracy(plain), test_accuracy(normed)
print(f"test accuracy after {steps} steps: without BN {acc_plain:.1%}, with BN {acc_normed:.1%}")

# %% [markdown]
# The plain network sits on the plateau $\log 10 \approx 2.30$ — the loss of guessing —
# for a long time, because its first layers receive almost no gradient; the normalised one
# starts learning at once.
#
# ## The claim
#
# Batch normalisation is the normalise-then-scale-and-shift formula with batch statistics in
# training and running statistics in eval; in a deep sigmoid network it keeps the gradients
# of the first layers from vanishing, and the network trains much faster.

# %%
assert err_bn < 1e-4 and err_running < 1e-5
assert train_dep > 1e-3 and eval_dep < 1e-6
assert norms_normed[0] > 1e4 * norms_plain[0], (norms_plain[0], norms_normed[0])
assert max(bias_grads[:-1]) < 1e-6
assert curve_normed[1][-1] < 0.5 * curve_plain[1][-1], (curve_plain[1][-1], curve_normed[1][-1])
assert acc_normed >= 0.9 and acc_normed > acc_plain + 0.1, (acc_plain, acc_normed)
print("Lesson 6 checks passed.")
