# %% [markdown]
# # Lesson 9 — Higher-order gradients
#
# In tinygrad_cnn every operation's backward pass is itself written with tensor operations.
# With `create_graph=True` the backward pass is therefore recorded like any other computation,
# and the gradient can be differentiated again. Two uses that matter in physics:
#
# 1. **Hessian-vector products** $H v$ — curvature along a direction — at the cost of about
#    two gradients, without ever forming the $n \times n$ Hessian;
# 2. **fitting a model to derivatives**: learn a potential energy $V_\theta(x)$ from measured
#    forces $F = -\nabla_x V$. The loss involves $\nabla_x V_\theta$, so its gradient with
#    respect to $\theta$ is a second derivative.
#
# Both are checked against finite differences.

# %%
import numpy as np

import tinygrad_cnn as tg
from tinygrad_cnn.testing import gradcheck

tg.manual_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. A Hessian-vector product by double backpropagation
#
# Take $f(x) = \tfrac12 x^\top A x + \sum_i \cos x_i$ with a symmetric $A$. Its Hessian is known
# exactly, $H = A - \operatorname{diag}(\cos x)$, so we can check everything.
#
# The trick: $g(x) = \nabla f(x)$ computed with `create_graph=True` is a tensor that still
# depends on $x$ through a graph. The scalar $g \cdot v$ has gradient
# $\nabla_x (g\cdot v) = H v$ (for fixed $v$). One forward, one backward that builds a graph,
# and one more backward through it.

# %%
n = 300
M = rng.standard_normal((n, n))
A = tg.Tensor((M + M.T) / (2 * np.sqrt(n)), dtype=tg.float64)
x = tg.Tensor(rng.standard_normal(n), dtype=tg.float64, requires_grad=True)
v = tg.Tensor(rng.standard_normal(n), dtype=tg.float64)


def f(x: tg.Tensor) -> tg.Tensor:
    return 0.5 * (x @ (A @ x)) + x.cos().sum()


(g,) = tg.grad(f(x), x, create_graph=True)  # g depends on x through a recorded graph
(hv,) = tg.grad((g * v).sum(), x)  # d(g·v)/dx = H v

H_exact = A.numpy() - np.diag(np.cos(x.numpy()))
hv_exact = H_exact @ v.numpy()


def grad_f(x_np: np.ndarray) -> np.ndarray:
    xt = tg.Tensor(x_np, dtype=tg.float64, requires_grad=True)
    f(xt).backward()
    return xt.grad.numpy()


eps = 1e-5
hv_fd = (grad_f(x.numpy() + eps * v.numpy()) - grad_f(x.numpy() - eps * v.numpy())) / (2 * eps)
err_exact = np.abs(hv.numpy() - hv_exact).max()
err_fd = np.abs(hv.numpy() - hv_fd).max()
print(f"|Hv| = {np.linalg.norm(hv.numpy()):.4f}")
print(f"max |Hv (double backprop) − Hv (exact)|              = {err_exact:.2e}")
print(f"max |Hv (double backprop) − Hv (finite differences)| = {err_fd:.2e}")

# %% [markdown]
# ### What Hessian-vector products buy: the sharpest direction
#
# Power iteration, $v \leftarrow Hv / |Hv|$, needs nothing but Hessian-vector products and
# converges to the eigenvector of largest $|\lambda|$. For a loss function this is the
# curvature that limits the learning rate of gradient descent ($\eta < 2/\lambda_{\max}$).
# Here we compare with the eigenvalues of the exact Hessian (which we could form only because
# this example is small).


# %%
def hvp(x: tg.Tensor, v: tg.Tensor) -> tg.Tensor:
    (g,) = tg.grad(f(x), x, create_graph=True)
    (hv,) = tg.grad((g * v).sum(), x)
    return hv


u = tg.Tensor(rng.standard_normal(n), dtype=tg.float64)
for _ in range(300):
    w = hvp(x, u)
    lam = float((u * w).sum().item())  # Rayleigh quotient (|u| = 1 after the first step)
    u = w / float(np.linalg.norm(w.numpy()))
eigs = np.linalg.eigvalsh(H_exact)
lam_max = eigs[np.argmax(np.abs(eigs))]
print(f"power iteration with HVPs: λ = {lam:.6f};  exact largest |λ|: {lam_max:.6f}")

# %% [markdown]
# ## 2. Learning a potential from forces
#
# Suppose an experiment (or an expensive quantum-chemistry code) gives us forces on a particle
# at many positions, but never the energy. We model the potential with a small network
# $V_\theta : \mathbb{R}^2 \to \mathbb{R}$ and fit its *negative gradient* to the forces:
#
# $$\mathcal{L}(\theta) = \frac1N \sum_n \big| -\nabla_x V_\theta(x_n) - F_n \big|^2 .$$
#
# The forces predicted by the model are conservative by construction (they are a gradient),
# which a network that outputs forces directly would not guarantee. The ground truth here is a
# double well in $x$, coupled to a harmonic direction:
#
# $$V(x, y) = (x^2 - 1)^2 + \tfrac12 (y - \tfrac12 x)^2 .$$


# %%
def true_potential(p: np.ndarray) -> np.ndarray:
    x, y = p[:, 0], p[:, 1]
    return (x**2 - 1) ** 2 + 0.5 * (y - 0.5 * x) ** 2


def true_forces(p: np.ndarray) -> np.ndarray:
    x, y = p[:, 0], p[:, 1]
    dv_dx = 4 * x * (x**2 - 1) - 0.5 * (y - 0.5 * x)
    dv_dy = y - 0.5 * x
    return -np.stack([dv_dx, dv_dy], axis=1)


def sample(n: int) -> np.ndarray:
    return rng.uniform(-1.6, 1.6, size=(n, 2))


pos_train, pos_test = sample(512), sample(512)
F_train = tg.Tensor(true_forces(pos_train), dtype=tg.float64)

# %% [markdown]
# The network: two hidden layers of tanh units. A smooth activation matters here: with ReLU,
# $V_\theta$ would be piecewise linear, its forces piecewise constant, and the second
# derivatives that training needs would be zero almost everywhere.


# %%
def init(sizes: list[int]) -> list[tg.Tensor]:
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        w = rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)
        params += [tg.Tensor(w, dtype=tg.float64, requires_grad=True)]
        params += [tg.zeros(fan_out, dtype=tg.float64, requires_grad=True)]
    return params


def potential(params: list[tg.Tensor], p: tg.Tensor) -> tg.Tensor:
    """V_θ at positions p (N, 2) → (N,)."""
    h = p
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i + 2 < len(params):
            h = h.tanh()
    return h.reshape(-1)


def predicted_forces(params: list[tg.Tensor], p_np: np.ndarray, create_graph: bool) -> tg.Tensor:
    p = tg.Tensor(p_np, dtype=tg.float64, requires_grad=True)
    # Each V(x_n) depends only on its own x_n, so the gradient of the sum gives every ∇V(x_n).
    (dv,) = tg.grad(potential(params, p).sum(), p, create_graph=create_graph)
    return -dv


def force_loss(params: list[tg.Tensor], p_np: np.ndarray, F: tg.Tensor) -> tg.Tensor:
    return ((predicted_forces(params, p_np, create_graph=True) - F) ** 2).sum(axis=1).mean()


params = init([2, 32, 32, 1])

# %% [markdown]
# Before training, check the claim that matters: the gradient of this loss with respect to
# the parameters — a derivative of a derivative — agrees with finite differences. `gradcheck`
# perturbs every parameter in turn, recomputes the whole loss (first-order gradient included),
# and compares.

# %%
small = [p.detach().requires_grad_() for p in init([2, 6, 6, 1])]
ok = gradcheck(lambda *ps: force_loss(list(ps), pos_train[:16], F_train[:16]), small)
print(f"gradcheck of the force-matching loss w.r.t. the parameters: {ok}")

# %% [markdown]
# Training with Adam, written out so that nothing is hidden: running averages of the gradient
# ($m$) and of its square ($s$), bias-corrected, and a step $\eta\, \hat m / (\sqrt{\hat s} +
# \epsilon)$ per parameter.
#
# One parameter never receives a gradient: the bias of the output layer adds a constant to
# $V_\theta$, which no force can see, so the loss does not depend on it at all.

# %%
lr, beta1, beta2 = 1e-2, 0.9, 0.999
m = [tg.zeros_like(p) for p in params]
s = [tg.zeros_like(p) for p in params]
steps = 600
for t in range(1, steps + 1):
    idx = rng.integers(0, len(pos_train), size=128)
    loss = force_loss(params, pos_train[idx], F_train[idx])
    loss.backward()
    with tg.no_grad():  # the update itself is not part of any graph
        for p, m_i, s_i in zip(params, m, s, strict=True):
            if p.grad is None:  # the output bias: see below
                continue
            g_i = p.grad
            m_i *= beta1
            m_i += (1 - beta1) * g_i
            s_i *= beta2
            s_i += (1 - beta2) * g_i**2
            step_lr = lr * (1 - t / steps) * np.sqrt(1 - beta2**t) / (1 - beta1**t)
            p -= step_lr * m_i / (s_i.sqrt() + 1e-8)
            p.grad = None
    if t % 100 == 0 or t == 1:
        print(f"step {t:4d}   force loss {loss.item():.5f}")

# %% [markdown]
# ## 3. What was learned
#
# On fresh positions, compare the predicted forces with the true ones, and the learned
# potential with the true potential. The potential is only determined up to an additive
# constant — forces never see it — so we compare energy *differences*, after removing the
# mean of each.

# %%
F_test = true_forces(pos_test)
F_pred = predicted_forces(params, pos_test, create_graph=False).numpy()
force_rel_err = np.linalg.norm(F_pred - F_test) / np.linalg.norm(F_test)

with tg.no_grad():
    V_pred = potential(params, tg.Tensor(pos_test, dtype=tg.float64)).numpy()
V_true = true_potential(pos_test)
V_pred_c, V_true_c = V_pred - V_pred.mean(), V_true - V_true.mean()
energy_rel_err = np.linalg.norm(V_pred_c - V_true_c) / np.linalg.norm(V_true_c)
print(f"relative force error on test positions:  {force_rel_err:.3f}")
print(f"relative energy error (up to a constant): {energy_rel_err:.3f}")

print("\nthe double well along y = x/2 (learned vs true, both shifted to 0 at x = 0):")
xs = np.linspace(-1.5, 1.5, 7)
line = np.stack([xs, 0.5 * xs], axis=1)
with tg.no_grad():
    V_line = potential(params, tg.Tensor(line, dtype=tg.float64)).numpy()
V_line_true = true_potential(line)
for xi, vp, vt in zip(xs, V_line - V_line[3], V_line_true - V_line_true[3], strict=True):
    print(f"  x = {xi:+.2f}   learned {vp:+.3f}   true {vt:+.3f}")

# %% [markdown]
# ## The claim
#
# Double backpropagation gives Hessian-vector products that agree with the exact Hessian and
# with finite differences of the gradient, and lets us train on derivatives: a potential
# learned from forces alone reproduces the forces and, up to a constant, the energy landscape.

# %%
assert err_exact < 1e-10, err_exact
assert err_fd < 1e-6, err_fd
assert abs(lam - lam_max) < 1e-4 * abs(lam_max), (lam, lam_max)
assert params[-1].grad is None  # the constant in V is invisible to forces
assert ok
assert force_rel_err < 0.1, force_rel_err
assert energy_rel_err < 0.1, energy_rel_err
print("Lesson 9 checks passed.")
