"""``Module`` and ``Parameter``: the building blocks of every network.

A module registers what is assigned to it: a ``Parameter`` becomes a trainable parameter, a
``Module`` a submodule, and a tensor given to ``register_buffer`` a buffer (state that is saved
but not trained, such as batchnorm's running statistics). Everything else stays a plain
attribute. Registered objects are also stored in the instance ``__dict__``, so reading
``self.conv1`` in ``forward`` is an ordinary attribute lookup (no ``__getattr__`` fallback on
the hot path).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from .. import autograd
from ..backend import get_array_module, to_device, to_numpy
from ..inplace import bump
from ..tensor import Tensor, _to_args
from .hooks import call_with_backward_hooks

__all__ = ["Parameter", "Module", "IncompatibleKeys"]


class Parameter(Tensor):
    """A tensor that a ``Module`` registers as trainable: a leaf that requires grad by default.

    ``Parameter(data, requires_grad=True)``; ``data`` may be a Tensor (its array is shared, not
    copied), an array or nested lists.
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty((0,), dtype=np.float32)
        super().__init__(data._data if isinstance(data, Tensor) else data)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


# Every change to the module structure anywhere (a parameter, buffer or submodule added,
# replaced or removed) bumps this counter. A root module compares it with the value it saw
# when it last named its parameters, so naming costs one integer comparison per call.
_structure_version = 0


def _bump() -> None:
    global _structure_version
    _structure_version += 1


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(..., strict=False)`` returns."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class _HookHandle:
    """Returned by ``register_forward_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, hooks: list, hook: Callable) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class Module:
    """Base class of all layers and models. Subclasses set attributes in ``__init__`` (after
    ``super().__init__()``) and define ``forward``; call the module, not ``forward``."""

    training: bool

    def __init__(self) -> None:
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_hooks"] = []
        d["_forward_pre_hooks"] = []
        d["_backward_hooks"] = []
        d["_names_version"] = -1

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() is called "
                f"(call super().__init__() first in {type(self).__name__}.__init__)"
            )
        params, buffers, modules = d["_parameters"], d["_buffers"], d["_modules"]
        if isinstance(value, Parameter):
            self._forget(name, keep=params)
            params[name] = value
            _bump()
        elif isinstance(value, Module):
            self._forget(name, keep=modules)
            modules[name] = value
            _bump()
        elif name in params:
            if value is not None:
                raise self._assign_error(name, value, "parameter", "Parameter")
            params[name] = None
            _bump()
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise self._assign_error(name, value, "buffer", "Tensor")
            buffers[name] = value
            _bump()
        elif name in modules:
            if value is not None:
                raise self._assign_error(name, value, "submodule", "Module")
            modules[name] = None
            _bump()
        d[name] = value

    def _assign_error(self, name: str, value: Any, kind: str, expected: str) -> TypeError:
        """The error for assigning ``value`` to a registered ``kind`` slot of another type."""
        return TypeError(
            f"cannot assign {type(value).__name__} to {kind} {name!r} of "
            f"{type(self).__name__} (expected a {expected} or None)"
        )

    def _forget(self, name: str, keep: dict) -> None:
        """Remove ``name`` from every registry except ``keep`` (an attribute changes kind)."""
        d = self.__dict__
        for registry in (d["_parameters"], d["_buffers"], d["_modules"]):
            if registry is not keep and name in registry:
                del registry[name]
        d["_non_persistent"].discard(name)

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        for registry in (d["_parameters"], d["_buffers"], d["_modules"]):
            if name in registry:
                del registry[name]
                _bump()
        d["_non_persistent"].discard(name)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or an empty slot when None) under ``name``."""
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"register_parameter: {name!r} must be a Parameter or None, "
                f"got {type(param).__name__}"
            )
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param
        self.__dict__[name] = param
        _bump()

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register a tensor that is state but not a parameter (e.g. running statistics).

        Persistent buffers are part of ``state_dict``; all buffers move with ``to``."""
        self._check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"register_buffer: {name!r} must be a Tensor or None, got {type(tensor).__name__}"
            )
        self._forget(name, keep=self._buffers)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)
        self.__dict__[name] = tensor
        _bump()

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as a submodule called ``name``."""
        self._check_name(name, "submodule")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module, got {type(module).__name__}")
        self._forget(name, keep=self._modules)
        self._modules[name] = module
        self.__dict__[name] = module
        _bump()

    register_module = add_module

    def _check_name(self, name: str, kind: str) -> None:
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"{kind} name must be a non-empty string without '.', got {name!r}")
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot register {kind} {name!r} before Module.__init__()")

    # ------------------------------------------------------------------ calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not autograd.current_scope() and self._names_version != _structure_version:
            self._assign_names()
        for hook in self._forward_pre_hooks:
            replaced = hook(self, args)
            if replaced is not None:
                args = replaced if isinstance(replaced, tuple) else (replaced,)
        if self.__dict__.get("_backward_hooks"):
            return call_with_backward_hooks(
                self, self._backward_hooks, args, lambda a: self._forward_and_hooks(a, kwargs)
            )
        return self._forward_and_hooks(args, kwargs)

    def _forward_and_hooks(self, args: tuple, kwargs: dict[str, Any]) -> Any:
        with autograd.module_scope(self):
            out = self.forward(*args, **kwargs)
        for hook in self._forward_hooks:
            replaced = hook(self, args, out)
            if replaced is not None:
                out = replaced
        return out

    def _assign_names(self) -> None:
        """Give every parameter and buffer its qualified name (``"conv1.weight"``).

        Done by the outermost module being called, and only after the structure changed. A
        submodule called on its own would find shorter names; a name that already ends with
        ``"." + name`` is the same tensor seen from a larger model and is kept.
        """
        for name, t in (*self.named_parameters(), *self.named_buffers()):
            if t.name is None or not (t.name == name or t.name.endswith("." + name)):
                t.name = name
        self.__dict__["_names_version"] = _structure_version

    def register_forward_hook(self, hook: Callable) -> _HookHandle:
        """``hook(module, args, output)`` runs after ``forward``; a returned value replaces
        the output. Returns a handle with ``remove()``."""
        self._forward_hooks.append(hook)
        return _HookHandle(self._forward_hooks, hook)

    def register_forward_pre_hook(self, hook: Callable) -> _HookHandle:
        """``hook(module, args)`` runs before ``forward``; a returned value replaces the args."""
        self._forward_pre_hooks.append(hook)
        return _HookHandle(self._forward_pre_hooks, hook)

    def register_full_backward_hook(self, hook: Callable) -> _HookHandle:
        """``hook(module, grad_input, grad_output)`` runs when the gradients with respect to
        the module's positional tensor inputs are computed (tuples, None for non-tensors and
        inputs without grad); a returned tuple replaces ``grad_input``, each entry of the
        input's shape, dtype and device. Returns a handle with ``remove()``."""
        self.__dict__.setdefault("_backward_hooks", []).append(hook)
        return _HookHandle(self._backward_hooks, hook)

    # ------------------------------------------------------------------ traversal
    def named_modules(
        self, memo: set[int] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """This module and every submodule below it, depth first, with qualified names
        (this module's name is ``prefix``, ``""`` by default). Shared modules appear once."""
        memo = set() if memo is None else memo
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:  # explicit stack: deep Sequentials need no recursion
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in memo:
                    continue
                memo.add(id(module))
            yield name, module
            children = [
                (f"{name}.{k}" if name else k, m)
                for k, m in module._modules.items()
                if m is not None
            ]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen: set[int] = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, attr: str, prefix: str, recurse: bool) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mod_name, module in modules:
            for name, t in getattr(module, attr).items():
                if t is None or id(t) in seen:
                    continue
                seen.add(id(t))
                yield (f"{mod_name}.{name}" if mod_name else name), t

    def named_parameters(
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """``(qualified name, parameter)`` pairs in registration order; shared ones once."""
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> Module:
        """The submodule at dotted path ``target`` (``""`` is this module)."""
        module: Module = self
        for part in target.split(".") if target else []:
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(
                    f"{type(module).__name__} has no submodule {part!r} ({target})"
                )
            module = child
        return module

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True) -> Module:
        """Set training mode (dropout active, batchnorm uses batch statistics) recursively."""
        if not isinstance(mode, bool):
            raise ValueError(f"train: mode must be a bool, got {type(mode).__name__}")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Turn gradient tracking of every parameter on or off (freezing layers)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set ``.grad`` to None (default) or fill it with zeros."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.zero_()  # each leaf owns its gradient array

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule (children first) and then on this module."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ devices and dtypes
    def to(
        self, *args: Any, device: Any = None, dtype: Any = None, non_blocking: bool = False
    ) -> Module:
        """Move (``"cpu"``, ``"cuda"``, ``tg.device``) and/or cast (``tg.float64``) parameters and
        buffers in place: ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)``
        or keywords, as in PyTorch (``non_blocking`` is accepted; copies are synchronous).

        The Parameter objects stay the same, so an optimizer built before ``to`` keeps
        working. Casting touches floating-point tensors only (counters stay integers)."""
        device, dtype = _to_args("Module.to", args, device, dtype)
        if dtype is not None and dtype.kind != "f":
            raise TypeError(f"Module.to: only floating dtypes are allowed, got {dtype}")

        def convert(a: Any) -> Any:
            if dtype is not None and a.dtype.kind == "f":
                a = a.astype(dtype, copy=False)
            return a if device is None else to_device(a, device)

        for t in (*self.parameters(), *self.buffers()):
            t._data = convert(t._data)
            bump(t)
            if t.grad is not None:
                t.grad._data = convert(t.grad._data)
        return self

    def float(self) -> Module:
        return self.to(np.float32)

    def double(self) -> Module:
        return self.to(np.float64)

    def half(self) -> Module:
        return self.to(np.float16)

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self) -> Module:
        return self.to("cuda")

    # ------------------------------------------------------------------ state
    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Parameters and persistent buffers by qualified name. The tensors share memory with
        the module (detached unless ``keep_vars``); save them with ``tg.save``."""
        out: OrderedDict[str, Tensor] = OrderedDict()
        for mod_name, module in self.named_modules(prefix=prefix.rstrip(".")):
            for name, t in module._parameters.items():
                if t is not None:
                    key = f"{mod_name}.{name}" if mod_name else name
                    out[key] = t if keep_vars else t.detach()
            for name, t in module._buffers.items():
                if t is not None and name not in module._non_persistent:
                    key = f"{mod_name}.{name}" if mod_name else name
                    out[key] = t if keep_vars else t.detach()
        return out

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True
    ) -> IncompatibleKeys:
        """Copy values from ``state_dict`` (Tensors or arrays by qualified name) into this
        module's parameters and persistent buffers, in place.

        Shapes must match. With ``strict=True`` (default) missing and unexpected keys are
        errors too; all problems are reported together, by name. Returns
        ``(missing_keys, unexpected_keys)``."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"load_state_dict: expected a mapping of names to tensors (what state_dict() "
                f"returns), got {type(state_dict).__name__}"
            )
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        mismatched = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            shape = tuple(getattr(value, "shape", np.shape(value)))
            if shape != target.shape:
                mismatched.append(
                    f"  {key}: checkpoint has shape {shape}, the model has {target.shape}"
                )
        problems = []
        if mismatched:
            problems.append("size mismatch for:\n" + "\n".join(mismatched))
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        if problems:
            raise RuntimeError(
                f"load_state_dict: cannot load into {type(self).__name__}:\n" + "\n".join(problems)
            )
        for key, target in own.items():
            if key in state_dict:
                value = state_dict[key]
                array = value._data if isinstance(value, Tensor) else value
                if get_array_module(array) is not target.xp or not hasattr(array, "dtype"):
                    array = to_device(to_numpy(array), target.device)
                # copy into the existing array: optimizers and views keep seeing this tensor
                target._data[...] = array.astype(target.dtype, copy=False)
                bump(target)
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ display
    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr`` (override in layers)."""
        return ""

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines.extend(extra.split("\n"))
        for name, m in self._modules.items():
            child = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        head = type(self).__name__ + "("
        if not lines:
            return head + ")"
        if not self._modules and len(lines) == 1:
            return head + lines[0] + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"
