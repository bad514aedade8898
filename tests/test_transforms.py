"""tinygrad_cnn.data.transforms against NumPy references (and PyTorch's grid_sample/conv2d)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn.data import DataLoader, TensorDataset
from tinygrad_cnn.data import transforms as T


def _img(shape=(3, 7, 7), seed=0, dtype=np.float32):
    return np.random.default_rng(seed).random(shape).astype(dtype)


def _gen(seed=0):
    return tg.Generator().manual_seed(seed)


# ---------------------------------------------------------------- references
def _ref_warp(x, inverse, out_hw=None, mode="bilinear", fill=0.0):
    """Loop reference: output pixel centre (relative to the output centre) → ``inverse`` → input
    point relative to the input centre; bilinear (or nearest) with zeros outside, then blended
    to ``fill`` by the weight outside (torchvision's rule)."""
    C, H, W = x.shape
    oh, ow = (H, W) if out_hw is None else out_hw
    out = np.zeros((C, oh, ow))
    for i in range(oh):
        for j in range(ow):
            xo, yo = j + 0.5 - ow / 2, i + 0.5 - oh / 2
            xi, yi = inverse(xo, yo)
            cx, cy = xi + W / 2 - 0.5, yi + H / 2 - 0.5  # index space
            if mode == "nearest":
                r, c = int(np.rint(cy)), int(np.rint(cx))
                inside = 0 <= r < H and 0 <= c < W
                out[:, i, j] = x[:, r, c] if inside else fill
                continue
            c0, r0 = math.floor(cx), math.floor(cy)
            val, mask = np.zeros(C), 0.0
            for r, wr in ((r0, 1 - (cy - r0)), (r0 + 1, cy - r0)):
                for c, wc in ((c0, 1 - (cx - c0)), (c0 + 1, cx - c0)):
                    if 0 <= r < H and 0 <= c < W:
                        val += wr * wc * x[:, r, c]
                        mask += wr * wc
            out[:, i, j] = val * mask + (1 - mask) * fill
    return out


def _ccw(deg):
    """Input point for an output point when the picture turns counter-clockwise (rows down)."""
    t = math.radians(deg)
    return lambda x, y: (math.cos(t) * x - math.sin(t) * y, math.sin(t) * x + math.cos(t) * y)


# ---------------------------------------------------------------- ToTensor and Normalize
def test_to_tensor_hwc_uint8_and_hw():
    a = np.random.default_rng(1).integers(0, 256, (5, 4, 3), dtype=np.uint8)
    t = T.ToTensor()(a)
    assert isinstance(t, tg.Tensor) and t.shape == (3, 5, 4) and t.dtype == np.float32
    np.testing.assert_array_equal(t.numpy(), a.transpose(2, 0, 1).astype(np.float32) / 255)
    g = T.ToTensor()(a[:, :, 0])
    assert g.shape == (1, 5, 4)
    f = T.ToTensor()(np.ones((2, 2), np.float64) * 7)  # not uint8: kept as it is, as torchvision
    assert f.dtype == np.float64 and f.numpy().max() == 7
    same = T.ToTensor()(tg.Tensor(_img()))
    np.testing.assert_array_equal(same.numpy(), _img())


def test_to_tensor_errors():
    with pytest.raises(ValueError, match=r"ToTensor: pic should be 2/3 dimensional. Got 4"):
        T.ToTensor()(np.zeros((1, 2, 2, 3), np.uint8))
    with pytest.raises(TypeError, match=r"ToTensor: pic should be an ndarray or a Tensor"):
        T.ToTensor()([[1, 2]])


def test_normalize_matches_formula_on_images_and_batches():
    x = _img((2, 3, 4, 4))
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
    want = (x - np.array(mean, np.float32)[:, None, None]) / np.array(std, np.float32)[
        :, None, None
    ]
    np.testing.assert_array_equal(T.Normalize(mean, std)(x), want)
    out = T.Normalize(mean, std)(tg.Tensor(x[0]))
    assert isinstance(out, tg.Tensor) and out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), want[0])
    assert repr(T.Normalize((0.1307,), (0.3081,))) == "Normalize(mean=(0.1307,), std=(0.3081,))"


def test_normalize_errors():
    with pytest.raises(TypeError, match=r"Normalize: input tensor should be a float tensor"):
        T.Normalize((0,), (1,))(np.zeros((1, 2, 2), np.uint8))
    with pytest.raises(ValueError, match=r"Normalize: std evaluated to zero"):
        T.Normalize((0,), (0,))(_img((1, 2, 2)))
    with pytest.raises(ValueError, match=r"Normalize: expected an image of shape \(\.\.\., C, H"):
        T.Normalize((0,), (1,))(_img((2, 2)))


# ---------------------------------------------------------------- flips
@pytest.mark.parametrize("cls, axis", [(T.RandomHorizontalFlip, -1), (T.RandomVerticalFlip, -2)])
def test_flips(cls, axis):
    x = _img((2, 3, 5, 6))
    np.testing.assert_array_equal(cls(p=1.0)(x), np.flip(x, axis))
    np.testing.assert_array_equal(cls(p=0.0)(x), x)
    t = cls(p=1.0)(tg.Tensor(x))
    assert isinstance(t, tg.Tensor)
    np.testing.assert_array_equal(t.numpy(), np.flip(x, axis))
    flip = cls(generator=_gen(3))
    flipped = sum(not np.array_equal(flip(x), x) for _ in range(2000))
    assert 900 < flipped < 1100  # binomial(2000, 0.5): 5 standard deviations is ±112
    assert repr(cls(0.3)) == f"{cls.__name__}(p=0.3)"
    with pytest.raises(ValueError, match=rf"{cls.__name__}: probability p"):
        cls(p=1.5)


# ---------------------------------------------------------------- crops and padding
@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_pad_modes_match_numpy(mode):
    x = _img((2, 4, 5))
    got = T.pad(x, (1, 2, 3, 0), fill=0.5, padding_mode=mode)  # left, top, right, bottom
    kw = {"constant_values": 0.5} if mode == "constant" else {}
    np.testing.assert_array_equal(got, np.pad(x, [(0, 0), (2, 0), (1, 3)], mode=mode, **kw))
    two = T.pad(x, [1, 2], padding_mode=mode)  # left/right 1, top/bottom 2
    assert two.shape == (2, 8, 7)


def test_random_crop_is_a_window_of_the_padded_image_and_covers_all_offsets():
    x = _img((1, 6, 6))
    padded = np.pad(x, [(0, 0), (2, 2), (2, 2)])
    crop = T.RandomCrop(6, padding=2, generator=_gen(0))
    seen = set()
    for _ in range(400):
        out = crop(x)
        matches = [
            (i, j)
            for i in range(5)
            for j in range(5)
            if np.array_equal(out, padded[:, i : i + 6, j : j + 6])
        ]
        assert len(matches) >= 1
        seen.add(matches[0])
    assert seen == {(i, j) for i in range(5) for j in range(5)}  # 25 offsets, 400 draws


def test_random_crop_pad_if_needed_sizes_and_errors():
    x = _img((3, 4, 5))
    out = T.RandomCrop((6, 8), pad_if_needed=True, generator=_gen(1))(x)
    assert out.shape == (3, 6, 8)
    assert T.RandomCrop((4, 5))(x) is x  # the whole image: returned as is, as torchvision
    with pytest.raises(ValueError, match=r"RandomCrop: required crop size \(6, 6\) is larger"):
        T.RandomCrop(6)(x)
    with pytest.raises(ValueError, match=r"RandomCrop: padding must be an int or a 1, 2, or 4"):
        T.RandomCrop(3, padding=(1, 2, 3))
    with pytest.raises(ValueError, match=r"RandomCrop: padding mode should be"):
        T.RandomCrop(3, padding_mode="wrap")
    with pytest.raises(ValueError, match=r"RandomCrop: please provide only two dimensions"):
        T.RandomCrop((1, 2, 3))
    assert repr(T.RandomCrop(24, padding=4)) == "RandomCrop(size=(24, 24), padding=4)"


@pytest.mark.parametrize("shape, size", [((1, 6, 7), (3, 4)), ((2, 5, 5), 2), ((1, 3, 4), (6, 5))])
def test_center_crop_takes_the_middle_and_pads_small_images(shape, size):
    x = _img(shape, seed=14) + 1.0
    out = T.CenterCrop(size)(x)
    th, tw = (size, size) if isinstance(size, int) else size
    h, w = shape[1:]
    if th <= h and tw <= w:
        top, left = int(round((h - th) / 2)), int(round((w - tw) / 2))
        np.testing.assert_array_equal(out, x[:, top : top + th, left : left + tw])
    else:  # padded with zeros around, the image in the middle
        want = np.zeros((shape[0], th, tw), np.float32)
        top, left = (th - h) // 2, (tw - w) // 2
        want[:, top : top + h, left : left + w] = x
        np.testing.assert_array_equal(out, want)
    assert repr(T.CenterCrop(3)) == "CenterCrop(size=(3, 3))"


def test_pad_transform():
    x = _img((1, 3, 3))
    np.testing.assert_array_equal(T.Pad((1, 2), fill=3)(x), np.pad(x, [(0, 0), (2, 2), (1, 1)],
                                  constant_values=3))  # fmt: skip
    assert repr(T.Pad(2)) == "Pad(padding=2, fill=0, padding_mode=constant)"
    with pytest.raises(ValueError, match=r"Pad: padding mode should be either constant"):
        T.Pad(1, padding_mode="wrap")
    with pytest.raises(TypeError, match=r"Pad: got inappropriate padding arg"):
        T.Pad("1")


# ---------------------------------------------------------------- rotation
@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("k", [1, 2, 3, -1, 4])
def test_rotation_by_multiples_of_90_is_exact(k, mode):
    x = _img((2, 6, 6))
    got = T.rotate(x, 90 * k, interpolation=mode)
    np.testing.assert_array_equal(got, np.rot90(x, k, axes=(1, 2)))
    rot = T.RandomRotation((90 * k, 90 * k), interpolation=mode)
    np.testing.assert_array_equal(rot(tg.Tensor(x)).numpy(), np.rot90(x, k, axes=(1, 2)))


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize(
    "angle, shape", [(33.3, (2, 7, 7)), (-71.0, (1, 6, 9)), (150.0, (1, 5, 4))]
)
def test_rotation_any_angle_matches_loop_reference(angle, shape, mode):
    x = _img(shape, seed=2).astype(np.float64)
    got = T.rotate(x, angle, interpolation=mode, fill=0.25)
    np.testing.assert_allclose(got, _ref_warp(x, _ccw(angle), mode=mode, fill=0.25), atol=1e-12)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_rotation_expand_by_90_of_an_even_rectangle_is_rot90(k):
    x = _img((2, 4, 8), seed=3)
    for mode in ("nearest", "bilinear"):
        out = T.rotate(x, 90 * k, interpolation=mode, expand=True)
        np.testing.assert_array_equal(out, np.rot90(x, k, axes=(1, 2)))


def test_rotation_expand_holds_the_whole_image():
    x = np.ones((1, 4, 8))
    # corners at x = ±6/√2 = ±4.24 (+4: -0.24..8.24), y = ±4.24 (+2: -2.24..6.24), each rounded
    # outwards as PIL and torchvision do: 9 − (−1) = 10 and 7 − (−3) = 10
    assert T.rotate(x, 45, expand=True).shape == (1, 10, 10)


def test_rotation_bilinear_matches_torch_grid_sample():
    torch = pytest.importorskip("torch")
    x = _img((2, 9, 9), seed=4)
    t = math.radians(27.0)
    rows = [[math.cos(t), -math.sin(t), 0.0], [math.sin(t), math.cos(t), 0.0]]
    theta = torch.tensor([rows], dtype=torch.float64)
    grid = torch.nn.functional.affine_grid(theta, (1, 2, 9, 9), align_corners=False)
    img = torch.from_numpy(x.astype(np.float64))[None]
    sampled = torch.nn.functional.grid_sample(img, grid, "bilinear", "zeros", align_corners=False)
    ones = torch.ones(1, 1, 9, 9, dtype=torch.float64)
    mask = torch.nn.functional.grid_sample(ones, grid, "bilinear", "zeros", align_corners=False)
    want = (sampled * mask)[0].numpy()  # fill 0: torchvision blends by the mask
    got = T.rotate(x.astype(np.float64), 27.0, interpolation="bilinear")
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_rotation_of_uint8_rounds_and_keeps_dtype():
    x = np.random.default_rng(0).integers(0, 256, (1, 8, 8), dtype=np.uint8)
    got = T.rotate(x, 20.0, interpolation="bilinear")
    assert got.dtype == np.uint8
    want = np.rint(_ref_warp(x.astype(np.float64), _ccw(20.0)))
    np.testing.assert_array_equal(got, want.astype(np.uint8))


def test_random_rotation_draws_angles_uniformly_and_shares_them_across_a_batch():
    x = _img((4, 1, 7, 7), seed=5)
    rot = T.RandomRotation((-40, 40), interpolation="bilinear", generator=_gen(9))
    out = rot(x)
    angle = float(_gen(9)._rng.uniform(-40, 40))  # the same draw
    for k in range(4):
        np.testing.assert_array_equal(out[k], T.rotate(x[k], angle, interpolation="bilinear"))
    angles = _gen(1)._rng.uniform(-40, 40, 4000)
    assert abs(angles.mean()) < 1.5 and angles.min() >= -40 and angles.max() <= 40
    assert (
        repr(T.RandomRotation(10))
        == "RandomRotation(degrees=[-10.0, 10.0], interpolation=nearest, expand=False, fill=0)"
    )


def test_random_rotation_errors():
    with pytest.raises(ValueError, match=r"RandomRotation: if degrees is a single number, it"):
        T.RandomRotation(-3)
    with pytest.raises(ValueError, match=r"RandomRotation: degrees should be a number or a seq"):
        T.RandomRotation((1, 2, 3))
    with pytest.raises(ValueError, match=r"RandomRotation: interpolation must be"):
        T.RandomRotation(3, interpolation="bicubic")
    with pytest.raises(TypeError, match=r"RandomRotation: fill should be either"):
        T.RandomRotation(3, fill="white")
    with pytest.raises(ValueError, match=r"rotate: fill has 2 values but the image has 3"):
        T.rotate(_img(), 10.0, fill=[1.0, 2.0])
    with pytest.raises(TypeError, match=r"rotate: img should be a Tensor or an array, got list"):
        T.rotate([[1.0]], 3.0)


# ---------------------------------------------------------------- affine
def test_affine_rotates_clockwise_translates_and_scales():
    x = _img((2, 6, 6), seed=6)
    np.testing.assert_array_equal(T.affine(x, 90, (0, 0), 1.0, 0.0), np.rot90(x, -1, axes=(1, 2)))
    shifted = T.affine(x, 0, (2, -1), 1.0, 0.0)  # right by 2, up by 1, zeros come in
    want = np.zeros_like(x)
    want[:, :5, 2:] = x[:, 1:, :4]
    np.testing.assert_array_equal(shifted, want)
    big = T.affine(x.astype(np.float64), 0, (0, 0), 2.0, 0.0, interpolation="bilinear")
    np.testing.assert_allclose(big, _ref_warp(x.astype(np.float64), lambda a, b: (a / 2, b / 2)))


def test_affine_shear_matches_loop_reference():
    x = _img((1, 7, 7), seed=7).astype(np.float64)
    got = T.affine(x, 0.0, (0, 0), 1.0, [30.0, 0.0], interpolation="bilinear")
    t = math.tan(math.radians(30.0))
    np.testing.assert_allclose(got, _ref_warp(x, lambda a, b: (a + t * b, b)), atol=1e-12)


def test_random_affine_parameters_and_repr():
    aff = T.RandomAffine(15, translate=(0.2, 0.1), scale=(0.8, 1.2), shear=(-5, 5, -3, 3),
                         generator=_gen(2))  # fmt: skip
    for _ in range(200):
        angle, (tx, ty), s, (shx, shy) = aff.get_params(10, 20)
        assert -15 <= angle <= 15 and 0.8 <= s <= 1.2 and -5 <= shx <= 5 and -3 <= shy <= 3
        assert isinstance(tx, int) and abs(tx) <= 4 and abs(ty) <= 1
    assert aff(_img((1, 10, 20))).shape == (1, 10, 20)
    assert repr(T.RandomAffine(10)) == "RandomAffine(degrees=[-10.0, 10.0])"
    assert (
        repr(T.RandomAffine(0, translate=(0.1, 0.1), shear=5, interpolation="bilinear", fill=1))
        == "RandomAffine(degrees=[0.0, 0.0], translate=(0.1, 0.1), shear=[-5.0, 5.0], "
        "interpolation=bilinear, fill=1)"
    )
    with pytest.raises(ValueError, match=r"RandomAffine: translation values should be between"):
        T.RandomAffine(0, translate=(0.1, 2))
    with pytest.raises(ValueError, match=r"RandomAffine: scale values should be positive"):
        T.RandomAffine(0, scale=(0, 1))
    with pytest.raises(ValueError, match=r"RandomAffine: shear should be a number or a sequence"):
        T.RandomAffine(0, shear=(1, 2, 3))
    with pytest.raises(ValueError, match=r"affine: argument scale should be positive"):
        T.affine(_img(), 0, (0, 0), -1.0, 0.0)


# ---------------------------------------------------------------- blur
def _ref_blur(x, kx, ky, sx, sy):
    def k1(n, s):
        r = np.arange(n) - (n - 1) / 2
        g = np.exp(-0.5 * (r / s) ** 2)
        return g / g.sum()

    k = np.outer(k1(ky, sy), k1(kx, sx))
    p = np.pad(x, [(0, 0), (ky // 2, ky // 2), (kx // 2, kx // 2)], mode="reflect")
    C, H, W = x.shape
    out = np.zeros_like(x)
    for c in range(C):
        for i in range(H):
            for j in range(W):
                out[c, i, j] = (p[c, i : i + ky, j : j + kx] * k).sum()
    return out


def test_gaussian_blur_matches_reference_and_torch():
    x = _img((2, 8, 9), seed=8).astype(np.float64)
    got = T.gaussian_blur(x, [3, 5], [0.7, 1.3])
    np.testing.assert_allclose(got, _ref_blur(x, 3, 5, 0.7, 1.3), rtol=1e-12, atol=1e-14)
    blur = T.GaussianBlur(5, sigma=(0.5, 2.0), generator=_gen(4))
    sigma = float(_gen(4)._rng.uniform(0.5, 2.0))
    np.testing.assert_allclose(blur(x), _ref_blur(x, 5, 5, sigma, sigma), rtol=1e-12, atol=1e-14)
    torch = pytest.importorskip("torch")
    xt = torch.from_numpy(x)[None]
    padded = torch.nn.functional.pad(xt, (1, 1, 2, 2), mode="reflect")
    kx = torch.exp(-0.5 * (torch.arange(3.0, dtype=torch.float64) - 1) ** 2 / 0.7**2)
    ky = torch.exp(-0.5 * (torch.arange(5.0, dtype=torch.float64) - 2) ** 2 / 1.3**2)
    k = torch.outer(ky / ky.sum(), kx / kx.sum())[None, None].repeat(2, 1, 1, 1)
    want = torch.nn.functional.conv2d(padded, k, groups=2)[0].numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_gaussian_blur_uint8_constant_image_and_errors():
    x = np.full((1, 6, 6), 200, np.uint8)
    out = T.GaussianBlur(3)(x)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, x)  # a constant image stays constant
    assert repr(T.GaussianBlur(3)) == "GaussianBlur(kernel_size=(3, 3), sigma=(0.1, 2.0))"
    with pytest.raises(ValueError, match=r"GaussianBlur: kernel size value should be an odd"):
        T.GaussianBlur(4)
    with pytest.raises(ValueError, match=r"GaussianBlur: if sigma is a single number"):
        T.GaussianBlur(3, sigma=0)
    with pytest.raises(ValueError, match=r"GaussianBlur: sigma values should be positive and"):
        T.GaussianBlur(3, sigma=(2.0, 1.0))


# ---------------------------------------------------------------- erasing
def _erased_box(x, out):
    rows, cols = np.nonzero((x != out).any(axis=0))
    if rows.size == 0:
        return None
    return rows.min(), cols.min(), rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


def test_random_erasing_sets_one_rectangle_of_the_drawn_size():
    x = _img((3, 20, 30), seed=9) + 1.0  # no zeros in the image
    erase = T.RandomErasing(p=1.0, value=(0, 0.5, -1), generator=_gen(5))
    for _ in range(100):
        out = erase(x)
        i, j, h, w = _erased_box(x, out)
        inside = out[:, i : i + h, j : j + w]
        np.testing.assert_array_equal(
            inside, np.broadcast_to([[[0]], [[0.5]], [[-1]]], inside.shape)
        )
        rest = out.copy()
        rest[:, i : i + h, j : j + w] = x[:, i : i + h, j : j + w]
        np.testing.assert_array_equal(rest, x)
        area = h * w / 600
        assert 0.02 * 0.8 < area < 0.33 * 1.25 and 0.3 * 0.7 < h / w < 3.3 * 1.4  # rounding
    assert np.array_equal(T.RandomErasing(p=0.0)(x), x)
    noisy = T.RandomErasing(p=1.0, value="random", generator=_gen(6))(tg.Tensor(x)).numpy()
    i, j, h, w = _erased_box(x, noisy)
    assert abs(noisy[:, i : i + h, j : j + w].mean()) < 1.0  # standard normal noise


def test_random_erasing_errors_and_repr():
    assert (
        repr(T.RandomErasing())
        == "RandomErasing(p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False)"
    )
    with pytest.raises(ValueError, match=r"RandomErasing: if value is str, it should be 'random'"):
        T.RandomErasing(value="noise")
    with pytest.raises(ValueError, match=r"RandomErasing: scale should be between 0 and 1"):
        T.RandomErasing(scale=(0.1, 2))
    with pytest.raises(ValueError, match=r"RandomErasing: random erasing probability"):
        T.RandomErasing(p=2)
    with pytest.raises(ValueError, match=r"either a single value or 3 \(number of input chan"):
        T.RandomErasing(p=1, value=(1, 2))(_img())
    with pytest.warns(UserWarning, match=r"scale and ratio should be of kind \(min, max\)"):
        T.RandomErasing(scale=(0.3, 0.1))


# ---------------------------------------------------------------- composition, seeding, types
def test_compose_lambda_random_apply_and_reprs():
    x = _img((1, 4, 4))
    pipeline = T.Compose([T.Lambda(lambda a: a * 2), T.RandomHorizontalFlip(p=1.0)])
    np.testing.assert_array_equal(pipeline(x), np.flip(x * 2, -1))
    assert repr(pipeline) == "Compose(\n    Lambda()\n    RandomHorizontalFlip(p=1.0)\n)"
    always = T.RandomApply([T.Lambda(lambda a: a + 1)], p=1.0)
    np.testing.assert_array_equal(always(x), x + 1)
    assert T.RandomApply([T.Lambda(lambda a: a + 1)], p=0.0)(x) is x
    assert repr(always) == "RandomApply(\n    p=1.0\n    Lambda()\n)"
    half = T.RandomApply([T.Lambda(lambda a: a + 1)], generator=_gen(2))
    applied = sum(not np.array_equal(half(x), x) for _ in range(2000))
    assert 888 < applied < 1112
    with pytest.raises(TypeError, match=r"Lambda: argument lambd should be callable, got 'int'"):
        T.Lambda(3)


def _augment(generator=None):
    return T.Compose(
        [
            T.RandomCrop(8, padding=2, generator=generator),
            T.RandomHorizontalFlip(generator=generator),
            T.RandomApply([T.RandomRotation(30, generator=generator)], generator=generator),
            T.RandomAffine(10, translate=(0.1, 0.1), generator=generator),
            T.GaussianBlur(3, generator=generator),
            T.RandomErasing(generator=generator),
        ]
    )


def test_seeded_by_manual_seed_and_by_a_generator():
    x = _img((1, 8, 8))
    tg.manual_seed(11)
    a = [_augment()(x) for _ in range(5)]
    tg.manual_seed(11)
    b = [_augment()(x) for _ in range(5)]
    assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))
    assert not all(np.array_equal(a[0], q) for q in a[1:])
    state = tg.get_rng_state()
    g1 = [_augment(_gen(3))(x) for _ in range(3)]
    assert np.array_equal(tg.get_rng_state().numpy(), state.numpy())  # the global is untouched
    g2 = [_augment(_gen(3))(x) for _ in range(3)]
    assert all(np.array_equal(p, q) for p, q in zip(g1, g2, strict=True))
    with pytest.raises(TypeError, match=r"RandomCrop: generator must be a tinygrad_cnn.Gener"):
        T.RandomCrop(3, generator=5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8])
def test_arrays_and_tensors_give_the_same_result_and_dtype(dtype):
    x = (_img((2, 8, 8), seed=12) * 255).astype(dtype)
    from_array = _augment(_gen(8))(x)
    from_tensor = _augment(_gen(8))(tg.Tensor(x))
    assert isinstance(from_array, np.ndarray) and isinstance(from_tensor, tg.Tensor)
    assert from_array.dtype == dtype and from_tensor.dtype == dtype
    np.testing.assert_array_equal(from_tensor.numpy(), from_array)


# ---------------------------------------------------------------- in data sets
def test_tensor_dataset_applies_transforms_per_sample():
    x = _img((6, 1, 5, 5), seed=13)
    y = np.arange(6)
    ds = TensorDataset(x, y, transform=T.RandomHorizontalFlip(p=1.0),
                       target_transform=T.Lambda(lambda t: t * 10))  # fmt: skip
    img, label = ds[2]
    np.testing.assert_array_equal(img.numpy(), x[2][..., ::-1])
    assert label.item() == 20
    imgs, labels = ds[1:4]
    np.testing.assert_array_equal(imgs.numpy(), x[1:4][..., ::-1])
    assert labels.tolist() == [10, 20, 30]
    xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    np.testing.assert_array_equal(xb.numpy(), x[:4][..., ::-1])
    assert yb.tolist() == [0, 10, 20, 30]
    with pytest.raises(ValueError, match=r"TensorDataset: target_transform needs a second"):
        TensorDataset(x, target_transform=abs)
    with pytest.raises(TypeError, match=r"TensorDataset: transform must be callable"):
        TensorDataset(x, y, transform=3)


def test_mnist_format_sets_take_transforms(tmp_path):
    import gzip

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 5, dtype=np.uint8)
    head = (0x803).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in (5, 28, 28))
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(head + images.tobytes()))
    head = (0x801).to_bytes(4, "big") + (5).to_bytes(4, "big")
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(head + labels.tobytes()))
    tf = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])
    for load in (tg.data.mnist, tg.data.fashion_mnist):
        ds = load(tmp_path, train=False, transform=tf, target_transform=lambda t: int(t) + 100)
        img, label = ds[3]
        want = (images[3][None].astype(np.float32) / 255 - np.float32(0.5)) / np.float32(0.5)
        np.testing.assert_array_equal(img.numpy(), want)
        assert label == labels[3] + 100
