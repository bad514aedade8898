"""Containers with PyTorch's names and behaviour: ``ModuleDict``, ``ParameterList``,
``ParameterDict``, and the shape layer ``Unflatten``."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..ops.reduce import normalize_dim
from ..tensor import Tensor
from .layers import _int
from .module import Module, Parameter

__all__ = ["ModuleDict", "ParameterList", "ParameterDict", "Unflatten"]


def _pairs(values: Any, container: str) -> Iterable[tuple[str, Any]]:
    """``(key, value)`` pairs of a mapping or of an iterable of pairs."""
    if isinstance(values, Mapping):
        return list(values.items())
    pairs = []
    for i, item in enumerate(values):
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise TypeError(
                f"{container}.update: element #{i} should be a (key, value) pair, got "
                f"{type(item).__name__}"
            )
        pairs.append((item[0], item[1]))
    return pairs


class ModuleDict(Module):
    """Submodules by name, registered (their parameters are found), in insertion order. Like
    a dict: ``md[key]``, ``md[key] = module``, ``del``, ``in``, ``len``, iteration over the
    keys, ``keys``/``values``/``items``, ``update``, ``pop``, ``clear``. No ``forward``."""

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def values(self) -> Iterable[Module]:
        return self._modules.values()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._modules.items()

    def update(self, modules: Any) -> None:
        for key, module in _pairs(modules, "ModuleDict"):
            self[key] = module

    def pop(self, key: str) -> Module:
        module = self._modules[key]
        del self[key]
        return module

    def clear(self) -> None:
        for key in list(self._modules):
            del self[key]


def _as_parameter(value: Any) -> Any:
    """A Tensor that is not a Parameter becomes one (sharing its array), as in PyTorch."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value, requires_grad=value.requires_grad or value.is_leaf)
    return value


def _describe(p: Any) -> str:
    if not isinstance(p, Tensor):
        return f"Object of type: {type(p).__name__}"
    size = "x".join(str(n) for n in p.shape)
    kind = "Parameter containing" if isinstance(p, Parameter) else "Tensor"
    device = "" if p.device == "cpu" else f" ({p.device})"
    return f"{kind}: [{p.dtype} of size {size}{device}]"


def _parameters_repr(name: str, items: Iterable[tuple[str, Any]]) -> str:
    lines = [f"({key}): {_describe(p)}" for key, p in items]
    if not lines:
        return f"{name}()"
    if len(lines) == 1:
        return f"{name}(  {lines[0]})"
    return f"{name}(\n    " + "\n    ".join(lines) + "\n)"


class _ParameterSlots(Module):
    """Stores parameters under string keys: a Parameter in ``_parameters``, anything else as
    a plain attribute (PyTorch allows other objects in these containers too)."""

    def _put(self, key: str, value: Any) -> None:
        value = _as_parameter(value)
        if isinstance(value, Parameter):
            if key in self._parameters:
                setattr(self, key, value)  # replaced in place: the order is kept
            else:
                self.register_parameter(key, value)
        else:
            if key in self._parameters:
                delattr(self, key)
            self.__dict__[key] = value
        keys = self.__dict__.setdefault("_keys", [])
        if key not in keys:
            keys.append(key)

    def _get(self, key: str) -> Any:
        return self.__dict__[key]

    def _drop(self, key: str) -> None:
        delattr(self, key)
        self.__dict__["_keys"].remove(key)


class ParameterList(_ParameterSlots):
    """A list of parameters, registered under "0", "1", ... (tensors become Parameters). Like
    a list: ``pl[i]``, ``pl[i] = p``, ``len``, iteration, ``append``, ``extend``."""

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        self.__dict__["_keys"] = []
        if values is not None:
            self.extend(values)

    def _key(self, idx: int) -> str:
        n = len(self._keys)
        if not isinstance(idx, int) or not -n <= idx < n:
            raise IndexError(f"ParameterList: index {idx} is out of range for {n} parameters")
        return str(idx % n)

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            return ParameterList([self._get(k) for k in self._keys[idx]])
        return self._get(self._key(idx))

    def __setitem__(self, idx: int, value: Any) -> None:
        self._put(self._key(idx), value)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[Any]:
        return iter([self._get(k) for k in self._keys])

    def __iadd__(self, values: Iterable[Any]) -> ParameterList:
        return self.extend(values)

    def append(self, value: Any) -> ParameterList:
        self._put(str(len(self._keys)), value)
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        for value in values:
            self.append(value)
        return self

    def __repr__(self) -> str:
        return _parameters_repr("ParameterList", ((k, self._get(k)) for k in self._keys))


class ParameterDict(_ParameterSlots):
    """Parameters by name (tensors become Parameters), in insertion order. Like a dict:
    ``pd[key]``, ``pd[key] = p``, ``del``, ``in``, ``len``, iteration over the keys,
    ``keys``/``values``/``items``, ``get``, ``update``, ``pop``, ``clear``."""

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        self.__dict__["_keys"] = []
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys:
            raise KeyError(key)
        return self._get(key)

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict: keys must be strings, got {type(key).__name__}")
        self._put(key, value)

    def __delitem__(self, key: str) -> None:
        if key not in self._keys:
            raise KeyError(key)
        self._drop(key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._keys))

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def keys(self) -> list[str]:
        return list(self._keys)

    def values(self) -> list[Any]:
        return [self._get(k) for k in self._keys]

    def items(self) -> list[tuple[str, Any]]:
        return [(k, self._get(k)) for k in self._keys]

    def get(self, key: str, default: Any = None) -> Any:
        return self._get(key) if key in self._keys else default

    def update(self, parameters: Any) -> None:
        for key, value in _pairs(parameters, "ParameterDict"):
            self[key] = value

    def pop(self, key: str) -> Any:
        value = self[key]
        del self[key]
        return value

    def clear(self) -> None:
        for key in list(self._keys):
            self._drop(key)

    def __repr__(self) -> str:
        return _parameters_repr("ParameterDict", self.items())


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size`` (a tuple; one entry may be −1), the
    inverse of ``Flatten``."""

    def __init__(self, dim: int, unflattened_size: Iterable[int]) -> None:
        super().__init__()
        self.dim = _int(dim, "dim", "Unflatten", minimum=None)
        if isinstance(unflattened_size, int) or not isinstance(unflattened_size, Iterable):
            raise TypeError(
                f"Unflatten: unflattened_size must be a tuple of ints, got {unflattened_size!r}"
            )
        self.unflattened_size = tuple(unflattened_size)
        for n in self.unflattened_size:
            _int(n, "unflattened_size entries", "Unflatten", minimum=-1)

    def forward(self, input: Tensor) -> Tensor:
        d = normalize_dim(self.dim, input.ndim, "Unflatten")
        sizes = self.unflattened_size
        known = math.prod(n for n in sizes if n != -1)
        n = input.shape[d]
        if (-1 not in sizes and known != n) or (-1 in sizes and (known == 0 or n % known)):
            raise RuntimeError(
                f"Unflatten: unflattened_size {sizes} does not match the size {n} of dimension "
                f"{self.dim} of the input (shape {input.shape})"
            )
        return input.reshape(input.shape[:d] + sizes + input.shape[d + 1 :])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
