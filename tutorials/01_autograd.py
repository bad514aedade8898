# %% [markdown]
# # Lesson 1 — Autograd from scratch
#
# Training a network means nudging every parameter against the gradient of a loss. A network
# has thousands to millions of parameters but one scalar loss, and *reverse-mode* automatic
# differentiation (backpropagation) delivers all of those partial derivatives for the price of
# roughly one extra pass through the computation.
#
# In this lesson we
#
# 1. differentiate a tiny expression with pen and paper and compare with `backward()`;
# 2. write a reverse-mode engine of our own in a few dozen lines, and watch it fail when we
#    forget the two rules every engine must follow — **visit nodes in reverse topological
#    order** and **add up the gradients arriving at a node that is used more than once**;
# 3. draw the computation graph.
#
# Run it as a script (`python tutorials/01_autograd.py`) or open it as a notebook.

# %%
import math

import numpy as np

import tinygrad_cnn as tg
import viz

# %% [markdown]
# ## 1. A small expression, by hand
#
# Take two inputs and three intermediate steps:
#
# $$u = a\,b, \qquad v = u + \sin a, \qquad f = u\,v .$$
#
# The intermediate $u$ is used twice: directly in $f$ and through $v$. The chain rule, applied
# from the output backwards, gives
#
# $$\frac{\partial f}{\partial v} = u, \qquad
#   \frac{\partial f}{\partial u} = \underbrace{v}_{\text{direct}} +
#   \underbrace{\frac{\partial f}{\partial v}\frac{\partial v}{\partial u}}_{\text{through } v}
#   = v + u,$$
#
# $$\frac{\partial f}{\partial a} = \frac{\partial f}{\partial u}\, b +
#   \frac{\partial f}{\partial v}\cos a, \qquad
#   \frac{\partial f}{\partial b} = \frac{\partial f}{\partial u}\, a .$$

# %%
a_val, b_val = 0.7, -1.3
u_val = a_val * b_val
v_val = u_val + math.sin(a_val)
f_val = u_val * v_val
df_du = v_val + u_val
df_dv = u_val
by_hand = {"a": df_du * b_val + df_dv * math.cos(a_val), "b": df_du * a_val}
print(f"f = {f_val:.6f}")
print(f"by hand:      df/da = {by_hand['a']:+.6f}   df/db = {by_hand['b']:+.6f}")

# %% [markdown]
# Now the same with tensors. Every operation on a tensor that `requires_grad` records itself:
# the result remembers the operation (`.op`) and its inputs (`.parents`). Calling
# `f.backward()` walks that record backwards and leaves the derivatives in `.grad` of the
# leaves. We use float64 so that the comparison can be tight.

# %%
a = tg.Tensor(a_val, dtype=tg.float64, requires_grad=True)
b = tg.Tensor(b_val, dtype=tg.float64, requires_grad=True)
a.name, b.name = "a", "b"
u = a * b
v = u + a.sin()
f = u * v
f.backward(retain_graph=True)  # keep the graph so that it can be drawn with its gradients
print(f"by backward:  df/da = {a.grad.item():+.6f}   df/db = {b.grad.item():+.6f}")
assert abs(a.grad.item() - by_hand["a"]) < 1e-12
assert abs(b.grad.item() - by_hand["b"]) < 1e-12

# %% [markdown]
# A third, independent opinion: central finite differences,
# $\partial f/\partial a \approx [f(a+h) - f(a-h)]/2h$, with an error of order $h^2$.


# %%
def f_plain(a: float, b: float) -> float:
    u = a * b
    return u * (u + math.sin(a))


h = 1e-6
numeric = {
    "a": (f_plain(a_val + h, b_val) - f_plain(a_val - h, b_val)) / (2 * h),
    "b": (f_plain(a_val, b_val + h) - f_plain(a_val, b_val - h)) / (2 * h),
}
print(f"numerically:  df/da = {numeric['a']:+.6f}   df/db = {numeric['b']:+.6f}")

# %% [markdown]
# ## 2. The graph
#
# `viz.show` draws the graph that `backward()` walked, one box per value in topological order:
# the leaf `a`, then `Mul` (that is $u$, with the leaf `b` drawn inside its box), `Sin`, `Add`
# ($v$) and the final `Mul` ($f$); `← n2` marks an input that is not the box just above.
# Shared values have several consumers — `a` feeds `Mul` and `Sin`, and `u` (n2) feeds `Add`
# and the last `Mul`. Because we passed `retain_graph=True`, the drawing can also show the
# norm of the gradient that arrived at every node.

# %%
u.name, v.name, f.name = "u", "v", "f"
viz.show(f)
print(f"by hand: |df/du| = |v + u| = {abs(df_du):.2f} (n2), |df/dv| = |u| = {abs(df_dv):.2f} (n4)")

# %% [markdown]
# ## 3. A reverse-mode engine in a few dozen lines
#
# To see *why* the engine is built the way it is, we write one for scalars. A `Node` holds a
# value, its parents, and the local derivatives $\partial(\text{node})/\partial(\text{parent})$,
# which each operation knows at the moment it runs.


# %%
class Node:
    """A scalar in a computation graph: value, parents, local derivatives, gradient."""

    def __init__(self, value, parents=(), local_grads=(), name=""):
        self.value = value
        self.parents = parents
        self.local_grads = local_grads
        self.name = name
        self.grad = 0.0

    def __add__(self, other):
        return Node(self.value + other.value, (self, other), (1.0, 1.0))

    def __mul__(self, other):
        return Node(self.value * other.value, (self, other), (other.value, self.value))

    def sin(self):
        return Node(math.sin(self.value), (self,), (math.cos(self.value),))


def build(a_val, b_val):
    a, b = Node(a_val, name="a"), Node(b_val, name="b")
    u = a * b
    u.name = "u"
    v = u + a.sin()
    v.name = "v"
    f = u * v  # note the order: u is the first parent of f
    f.name = "f"
    return a, b, f


# %% [markdown]
# Backward has one step per node: take the node's finished gradient $\bar n = \partial f /
# \partial n$ and pass $\bar n \cdot \partial n/\partial p$ on to each parent $p$. The only
# question is *in which order* to visit the nodes. A node's gradient is finished only when
# every node that *uses* it has passed its share back. An order in which each node comes
# after all of its parents is a **topological order**; walked in reverse, every consumer is
# visited before what it consumes.


# %%
def topological_order(root):
    """Nodes such that every node comes after all of its parents (iterative DFS)."""
    order, seen, stack = [], {id(root)}, [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for p in parents:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append((p, iter(p.parents)))
                break
        else:  # all parents placed: the node can follow them
            stack.pop()
            order.append(node)
    return order


def backward_topological(root):
    root.grad = 1.0
    for node in reversed(topological_order(root)):
        for parent, local in zip(node.parents, node.local_grads, strict=True):
            parent.grad += node.grad * local  # += : every use of `parent` adds its share


a_node, b_node, f_node = build(a_val, b_val)
backward_topological(f_node)
print("topological order:", " → ".join(n.name or "sin" for n in topological_order(f_node)))
print(f"our engine:   df/da = {a_node.grad:+.6f}   df/db = {b_node.grad:+.6f}")
assert abs(a_node.grad - by_hand["a"]) < 1e-12 and abs(b_node.grad - by_hand["b"]) < 1e-12

# %% [markdown]
# ### Mistake 1: the wrong order
#
# A natural first attempt is to walk breadth-first from the output, visiting each node once.
# Here `f` hands its gradient to `u` and `v`; `u` is visited next — but `v` has not yet passed
# back its share of `u`'s gradient. What `u` sends on to `a` and `b` is incomplete, and the
# share that arrives later is never propagated.


# %%
def backward_breadth_first(root):
    root.grad = 1.0
    queue, seen = [root], {id(root)}
    while queue:
        node = queue.pop(0)
        for parent, local in zip(node.parents, node.local_grads, strict=True):
            parent.grad += node.grad * local
            if id(parent) not in seen:
                seen.add(id(parent))
                queue.append(parent)


a_bfs, b_bfs, f_bfs = build(a_val, b_val)
backward_breadth_first(f_bfs)
print(f"breadth-first: df/da = {a_bfs.grad:+.6f}   df/db = {b_bfs.grad:+.6f}   (wrong)")
assert abs(a_bfs.grad - by_hand["a"]) > 1e-3

# %% [markdown]
# ### Mistake 2: overwriting instead of accumulating
#
# With the right order but `=` in place of `+=`, a node used twice keeps only the last
# contribution. Both `a` (through `u` and through `sin`) and `u` (directly and through `v`) are
# shared here, so both derivatives come out wrong.


# %%
def backward_overwrite(root):
    root.grad = 1.0
    for node in reversed(topological_order(root)):
        for parent, local in zip(node.parents, node.local_grads, strict=True):
            parent.grad = node.grad * local  # the bug


a_ow, b_ow, f_ow = build(a_val, b_val)
backward_overwrite(f_ow)
print(f"overwriting:   df/da = {a_ow.grad:+.6f}   df/db = {b_ow.grad:+.6f}   (wrong)")
assert abs(a_ow.grad - by_hand["a"]) > 1e-3

# %% [markdown]
# tinygrad_cnn's engine is the same idea for arrays: `tg.toposort` is the iterative
# depth-first search above (no recursion, so a chain of 100 000 operations works), and each
# operation's backward passes array-valued gradients to its inputs.

# %%
print("tinygrad_cnn order:", " → ".join(t.name or t.op.name for t in tg.toposort(f)))

# %% [markdown]
# ### Watching the real engine step by step
#
# `viz.explain` walks backward exactly as the engine does and prints each step: the node, the
# local rule of its op (`Mul: ∂a = ∂out · b, ∂b = ∂out · a`, with the inputs called a, b by
# position), the gradient that arrived, and what it sends to each input — with `+=` when an
# input is reached a second time. It computes the gradients itself, so `.grad` stays
# untouched, and returns the steps as data. Take $a = 1$, $b = a + a$, $c = b\,b$: by hand
# $\partial c/\partial b = 2b = 4$ and $\partial c/\partial a = 2 \cdot 4 = 8$. Both ops use one
# input twice, so each step sends two contributions to the same node.

# %%
a1 = tg.tensor(1.0, requires_grad=True)
b1 = a1 + a1
c1 = b1 * b1
steps = viz.explain(c1)  # viz.explain(c1, interactive=True) waits for Enter between steps
assert [s.values for s in steps] == [1.0, 4.0, 8.0]  # ∂c/∂c, ∂c/∂b, ∂c/∂a
assert [s.accumulate for s in steps[0].sends] == [False, True]  # the second use of b: +=

# %% [markdown]
# A diamond: $x$ feeds two branches, $p = 2x$ and $q = x^2$, which meet again in $d = p\,q$.
# The gradient of $x$ arrives along both branches and is summed:
# $\partial d/\partial x = q \cdot 2 + p \cdot 2x = 6x^2 = 24$ at $x = 2$.

# %%
x2 = tg.tensor(2.0, requires_grad=True)
p2 = x2 * 2
q2 = x2 * x2
d2 = p2 * q2
steps = viz.explain(d2)
assert steps[-1].name == "x2" and steps[-1].values == 24.0 and steps[-1].arrivals == 3
assert x2.grad is None  # explain leaves .grad alone; backward fills it
d2.backward()
assert x2.grad.item() == 24.0

# %% [markdown]
# ## 4. Accumulation across calls: why `zero_grad` exists
#
# The same `+=` that makes shared nodes right means that `.grad` of a leaf *keeps adding up*
# over successive `backward()` calls. That is useful (summing gradients of several losses or
# mini-batches), but in an ordinary training loop the gradients must be cleared before every
# step — that is what `optimizer.zero_grad()` does.

# %%
x = tg.Tensor(np.array([1.0, 2.0, 3.0]), dtype=tg.float64, requires_grad=True)
for call in (1, 2):
    loss = (x * x).sum()  # d/dx = 2x
    loss.backward()
    print(f"after backward() call {call}: x.grad = {x.grad.numpy()}")
assert np.allclose(x.grad.numpy(), 2 * (2 * x.numpy()))
x.grad = None  # what zero_grad does
(x * x).sum().backward()
print(f"after clearing and one call:  x.grad = {x.grad.numpy()}")
assert np.allclose(x.grad.numpy(), 2 * x.numpy())

# %% [markdown]
# ## The claim
#
# Reverse mode, visiting nodes in reverse topological order and accumulating at shared nodes,
# reproduces the chain rule done by hand (to rounding) and agrees with finite differences to
# the accuracy those allow.

# %%
for k in ("a", "b"):
    assert abs(numeric[k] - by_hand[k]) < 1e-6
print("Lesson 1 checks passed: backward() = chain rule by hand = finite differences.")
