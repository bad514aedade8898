# %% [markdown]
# # Lesson 2 — A neural network by hand
#
# Before layers and optimizers do the bookkeeping for us, we build a small multilayer
# perceptron (MLP) from bare tensors: the parameters are plain `Tensor`s, the forward pass is
# a few lines of algebra, the loss is written out, and stochastic gradient descent is one line
# per parameter. Then we check the gradients numerically, the way one tests a new operation.
#
# The task: points in the plane, labelled by which of two interleaved spirals they lie on.
# No straight line separates the classes, so a linear classifier fails and a hidden layer is
# needed.

# %%
import numpy as np

import tinygrad_cnn as tg
from tinygrad_cnn.function import Function
from tinygrad_cnn.testing import GradcheckError, gradcheck

tg.manual_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Data
#
# Two arms of a spiral, $r = \theta$, one rotated by $\pi$ with respect to the other, with a
# little noise. Class 0 is one arm, class 1 the other.


# %%
def spirals(n_per_class: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    theta = np.sqrt(rng.random(n_per_class)) * 3 * np.pi  # denser near the centre
    arms = []
    for k in (0, 1):
        r = theta / (3 * np.pi)
        phase = theta + k * np.pi
        pts = np.stack([r * np.cos(phase), r * np.sin(phase)], axis=1)
        arms.append(pts + 0.02 * rng.standard_normal(pts.shape))
    x = np.concatenate(arms).astype(np.float32)
    y = np.repeat([0, 1], n_per_class)
    return x, y


x_np, y_np = spirals(600, rng)
perm = rng.permutation(len(x_np))
x_np, y_np = x_np[perm], y_np[perm]
n_train = 900
x_train, y_train = tg.Tensor(x_np[:n_train]), tg.Tensor(y_np[:n_train])
x_test, y_test = tg.Tensor(x_np[n_train:]), tg.Tensor(y_np[n_train:])
print(f"train {x_train.shape}, test {x_test.shape}, labels {np.bincount(y_np)}")

# %% [markdown]
# ## 2. The model, the losses
#
# An MLP with one hidden layer of $H$ units maps a point $x \in \mathbb{R}^2$ to two scores
# (*logits*), one per class:
#
# $$h = \tanh(x W_1 + b_1), \qquad z = h W_2 + b_2 .$$
#
# The weights start small and random (variance $\propto 1/\text{fan-in}$, so that the hidden
# units start in the linear part of tanh), the biases at zero.
#
# Two losses are common. **Mean squared error** compares the output with a target vector and
# suits regression. For classification, the logits are turned into probabilities with the
# softmax, $p_k = e^{z_k}/\sum_j e^{z_j}$, and the **cross-entropy** is the negative
# log-likelihood of the true labels, $-\frac1N\sum_n \log p_{y_n}$. We compute $\log p$ as
# $z - \log\sum_j e^{z_j}$ (`log_softmax`), which never overflows.


# %%
def init_mlp(sizes: list[int]) -> list[tg.Tensor]:
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        w = tg.randn(fan_in, fan_out) * (1.0 / np.sqrt(fan_in))
        params += [w.detach().requires_grad_(), tg.zeros(fan_out, requires_grad=True)]
    return params


def mlp(params: list[tg.Tensor], x: tg.Tensor) -> tg.Tensor:
    """Logits (N, classes) for inputs (N, features): tanh between the affine maps."""
    h = x
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i + 2 < len(params):
            h = h.tanh()
    return h


def cross_entropy(logits: tg.Tensor, y: tg.Tensor) -> tg.Tensor:
    log_p = logits.log_softmax(axis=1)  # (N, classes)
    return -log_p[np.arange(len(y)), y.numpy()].mean()


def mse(pred: tg.Tensor, target: tg.Tensor) -> tg.Tensor:
    return ((pred - target) ** 2).mean()


def accuracy(logits: tg.Tensor, y: tg.Tensor) -> float:
    return float((logits.argmax(axis=1).numpy() == y.numpy()).mean())


params = init_mlp([2, 64, 2])
with tg.no_grad():
    z0 = mlp(params, x_train)
    onehot = tg.Tensor(np.eye(2, dtype=np.float32)[y_train.numpy()])
    print(
        f"untrained: cross-entropy {cross_entropy(z0, y_train).item():.4f} "
        f"(log 2 = {np.log(2):.4f} for a coin flip), "
        f"MSE of softmax vs one-hot {mse(z0.softmax(axis=1), onehot).item():.4f}"
    )

# %% [markdown]
# ## 3. Stochastic gradient descent, by hand
#
# Each step: draw a mini-batch, compute the loss, `backward()`, move every parameter a small
# step against its gradient, and clear the gradients (they accumulate — Lesson 1). The update
# changes each parameter in place (`p -= ...`) inside `tg.no_grad()`, so that it is not itself
# recorded in the graph (outside `no_grad` it is refused: a parameter's gradient would refer to
# a value that no longer exists). We add
# momentum (a running sum of recent gradients, which smooths the noise of small batches) and
# let the step size fall linearly to zero, so that the end of training settles in a minimum.


# %%
def train(params, steps: int, lr: float, batch: int = 64, momentum: float = 0.9) -> list[float]:
    velocity = [tg.zeros_like(p) for p in params]
    losses = []
    for step in range(steps):
        idx = rng.integers(0, n_train, size=batch)
        loss = cross_entropy(mlp(params, x_train[idx]), y_train[idx])
        loss.backward()
        with tg.no_grad():
            for p, v in zip(params, velocity, strict=True):
                v *= momentum  # SGD with momentum: a running average of recent gradients
                v += p.grad
                p -= lr * (1 - step / steps) * v  # the step size decays linearly to 0
                p.grad = None
        losses.append(loss.item())
    return losses


steps = 2000
losses = train(params, steps, lr=0.2)
for s in range(0, steps, steps // 5):
    print(f"step {s:5d}  loss (mean of 100 steps) {np.mean(losses[s : s + 100]):.4f}")
with tg.no_grad():
    acc_mlp = accuracy(mlp(params, x_test), y_test)
print(f"MLP with 64 hidden units: test accuracy {acc_mlp:.3f}")

# %% [markdown]
# For comparison, the same recipe without the hidden layer — logistic regression, whose
# decision boundary is a straight line — gets only about two thirds of the points right.

# %%
linear = init_mlp([2, 2])
train(linear, 1000, lr=0.2)
with tg.no_grad():
    acc_linear = accuracy(mlp(linear, x_test), y_test)
print(f"linear model: test accuracy {acc_linear:.3f}")

# %% [markdown]
# ## 4. Checking gradients numerically
#
# Every gradient above came from backward passes written by hand, one per operation. How do we
# know they are right? By comparing with central finite differences,
#
# $$\frac{\partial L}{\partial \theta_i} \approx
#   \frac{L(\theta + \epsilon e_i) - L(\theta - \epsilon e_i)}{2\epsilon},$$
#
# whose error is $O(\epsilon^2)$ from truncation plus $O(\text{rounding}/\epsilon)$. In
# float64 with $\epsilon = 10^{-6}$ both are tiny; in float32 the rounding term swamps the
# comparison, so gradient checks are done in float64. `gradcheck` does this for every input
# element (on a random projection of the output, so that errors cannot cancel in a sum).

# %%
params64 = [p.detach().double().requires_grad_() for p in params]
x64 = x_train[:32].double()
y32 = y_train[:32]
ok = gradcheck(lambda *ps: cross_entropy(mlp(list(ps), x64), y32), params64)
print(f"gradcheck of the MLP's cross-entropy w.r.t. all {len(params64)} parameter tensors: {ok}")

# %% [markdown]
# The check earns its keep when it catches a mistake. Here is a sigmoid written as our own
# primitive `Function`, whose backward forgets one factor: the derivative of
# $\sigma(x)$ is $\sigma(x)\,(1-\sigma(x))$, and we return only $\sigma(x)$.


# %%
class BrokenSigmoid(Function):
    def forward(self, x):
        self.s = 1.0 / (1.0 + self.xp.exp(-x))
        return self.s

    def backward(self, grad_out):
        return grad_out * tg.Tensor(self.s)  # missing the factor (1 - s)


class Sigmoid(Function):
    def forward(self, x):
        self.s = 1.0 / (1.0 + self.xp.exp(-x))
        return self.s

    def backward(self, grad_out):
        s = tg.Tensor(self.s)
        return grad_out * s * (1 - s)


x = tg.randn(4, 3, dtype=tg.float64, requires_grad=True)
print("correct sigmoid:", gradcheck(lambda t: Sigmoid.apply(t), [x]))
try:
    gradcheck(lambda t: BrokenSigmoid.apply(t), [x])
    caught = False
except GradcheckError as err:
    caught = True
    print("broken sigmoid:", err)

# %% [markdown]
# ## The claim
#
# A one-hidden-layer MLP trained by hand-written SGD separates the spirals (≥ 95 % test
# accuracy) where a linear model cannot (< 75 %); its backward pass agrees with finite
# differences, and the same check exposes a wrong backward.

# %%
assert acc_mlp >= 0.95, acc_mlp
assert acc_linear < 0.75, acc_linear
assert ok and caught
print("Lesson 2 checks passed.")
