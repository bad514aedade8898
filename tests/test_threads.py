"""Thread counts and reproducibility of a training step.

Two kinds of threads can run a step: BLAS's own (NumPy's OpenBLAS, inside a matrix product)
and ours (``tg.set_num_threads``: the convolutions' large products cut into a fixed number of
pieces, run side by side; BLAS is then kept to one thread). So:

- at a fixed thread count a LeNet training step is reproducible bit for bit;
- at 1 and 2 of our threads it is the same bit for bit (the pieces do not depend on the
  thread count);
- at 1 and 2 *BLAS* threads it agrees to rounding, not bit for bit: OpenBLAS's multithreaded
  float32 GEMM kernels sum in another order than its single-threaded ones (on the LeNet's
  shapes from the 288-deep convolution product on; PyTorch's CPU kernels behave the same).
  Keep BLAS to one thread (``OPENBLAS_NUM_THREADS=1``, threadpoolctl, or our threads) for
  results that do not depend on the machine's core count.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import functional as F
from tinygrad_cnn import models, optim

threadpoolctl = pytest.importorskip("threadpoolctl")


def _two_lenet_steps(threads: int) -> tuple[float, list[np.ndarray]]:
    with threadpoolctl.threadpool_limits(limits=threads, user_api="blas"):
        tg.manual_seed(0)
        model = models.lenet()
        opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        rng = np.random.default_rng(0)
        x = tg.Tensor(rng.standard_normal((64, 1, 28, 28), dtype=np.float32))
        y = tg.Tensor(rng.integers(0, 10, 64))
        for _ in range(2):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
        return loss.item(), [p.numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("threads", [1, 2])
def test_a_lenet_step_is_reproducible_bit_for_bit_at_a_fixed_thread_count(threads):
    (loss_a, params_a), (loss_b, params_b) = _two_lenet_steps(threads), _two_lenet_steps(threads)
    assert loss_a == loss_b
    assert all(np.array_equal(a, b) for a, b in zip(params_a, params_b, strict=True))


def test_a_lenet_step_at_one_and_two_threads_agrees_to_rounding():
    (loss_1, params_1), (loss_2, params_2) = _two_lenet_steps(1), _two_lenet_steps(2)
    assert loss_1 == pytest.approx(loss_2, rel=1e-6)
    for a, b in zip(params_1, params_2, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6 * float(np.abs(a).max()))


def test_a_lenet_step_is_the_same_bit_for_bit_on_one_and_two_threads_of_ours():
    """The convolutions' products are cut into the same pieces at any thread count; with BLAS
    on one thread (what ``set_num_threads(n > 1)`` arranges) the step is identical."""
    assert tg.get_num_threads() == 1
    try:
        runs = []
        for threads in (1, 2):
            tg.set_num_threads(threads)
            runs.append(_two_lenet_steps(1))
    finally:
        tg.set_num_threads(1)
    (loss_1, params_1), (loss_2, params_2) = runs
    assert loss_1 == loss_2
    assert all(np.array_equal(a, b) for a, b in zip(params_1, params_2, strict=True))


def test_set_num_threads_checks_its_argument():
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="set_num_threads: expected a positive int"):
            tg.set_num_threads(bad)
