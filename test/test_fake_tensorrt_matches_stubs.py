"""The TensorRT test double against NVIDIA's real API: every class, method, attribute and enum member
test/fakes/fake_tensorrt.py offers exists in TensorRT 10.13's Python bindings as published in
tensorrt-stubs (make setup puts them in .venv/stubs), with the same parameter names, so the double
cannot drift from TensorRT. What only TensorRT 8.5 has (the binding API the fake offers in 8.5 mode)
is listed, and must be absent from 10.13, so the list cannot rot."""

from __future__ import annotations

import ast
import inspect
import types

import pytest
from conftest_data import REPO_ROOT
from fakes import fake_tensorrt

STUBS = REPO_ROOT / ".venv" / "stubs"
# Removed in TensorRT 10 (JetPack 6); the backend's fallback for TensorRT 8.5 (JetPack 5) calls them.
TRT85_ONLY = {"ICudaEngine.num_bindings", "ICudaEngine.get_binding_name", "ICudaEngine.get_binding_shape",
              "ICudaEngine.binding_is_input", "ICudaEngine.get_binding_dtype", "IExecutionContext.set_binding_shape",
              "IExecutionContext.execute_async_v2"}


class StubClass:
    def __init__(self, node: ast.ClassDef) -> None:
        self.bases = [ast.unparse(b).split(".")[-1] for b in node.bases]
        self.functions: dict[str, list[ast.FunctionDef]] = {}
        self.attributes: set[str] = set()
        self.nested: dict[str, StubClass] = {}
        for item in node.body:
            if isinstance(item, ast.FunctionDef):
                self.functions.setdefault(item.name, []).append(item)
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                self.attributes.add(item.target.id)
            elif isinstance(item, ast.ClassDef):
                self.nested[item.name] = StubClass(item)


def read_stubs() -> tuple[dict[str, StubClass], set[str]]:
    if not (STUBS / "tensorrt_bindings" / "tensorrt.pyi").is_file():
        pytest.fail(f"TensorRT stubs not found in {STUBS}: run make setup (it installs tensorrt-stubs there)")
    tree = ast.parse((STUBS / "tensorrt_bindings" / "tensorrt.pyi").read_text())
    classes = {n.name: StubClass(n) for n in tree.body if isinstance(n, ast.ClassDef)}
    package = ast.parse((STUBS / "tensorrt" / "__init__.pyi").read_text())
    exported = {a.asname or a.name for n in package.body if isinstance(n, ast.ImportFrom) for a in n.names}
    return classes, exported | set(classes)


def lookup(classes: dict[str, StubClass], name: str) -> list[StubClass]:
    """The class and its bases (methods and enum values are often inherited, e.g. Logger <- ILogger)."""
    found, todo = [], [name]
    while todo:
        cls = classes.get(todo.pop())
        if cls is not None:
            found.append(cls)
            todo += cls.bases
    return found


def parameters(fn: ast.FunctionDef) -> list[str]:
    names = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
    return names[1:] if names and names[0] in ("self", "this") else names


def fake_members(cls: type, stub_chain: list[StubClass] | None = None) -> dict[str, object]:
    """Public members, and __init__ where TensorRT lets Python construct the class (a stub __init__):
    ICudaEngine and IExecutionContext come only from Runtime / ICudaEngine, so the fake's constructors
    there are its own plumbing."""
    constructible = stub_chain is None or any("__init__" in c.functions for c in stub_chain)
    return {k: v for k, v in vars(cls).items() if not k.startswith("_") or (k == "__init__" and constructible)}


def check_class(qualname: str, fake: type, stub_chain: list[StubClass], problems: list[str]) -> None:
    for name, value in fake_members(fake, stub_chain).items():
        member = f"{qualname}.{name}"
        functions = [f for c in stub_chain for f in c.functions.get(name, [])]
        attributes = any(name in c.attributes for c in stub_chain)
        nested = next((c.nested[name] for c in stub_chain if name in c.nested), None)
        if isinstance(value, type) and nested is not None:
            check_class(member, value, [nested], problems)
        elif isinstance(value, property):
            if not (attributes or functions):
                problems.append(f"{member}: no such attribute or property in TensorRT 10.13")
        elif callable(value):
            if not functions:
                problems.append(f"{member}: no such method in TensorRT 10.13")
                continue
            ours = [p for p in inspect.signature(value).parameters if p != "self"]
            if not any(parameters(f)[:len(ours)] == ours for f in functions):
                problems.append(f"{member}{tuple(ours)}: TensorRT 10.13 has "
                                + " | ".join(str(tuple(parameters(f))) for f in functions))
        elif not (attributes or functions):
            problems.append(f"{member}: no such attribute or enum member in TensorRT 10.13")


def test_the_fake_offers_only_what_tensorrt_10_13_has(monkeypatch):
    classes, exported = read_stubs()
    fake_tensorrt.install(monkeypatch, "10.3.0")
    import sys

    trt = sys.modules["tensorrt"]
    problems: list[str] = []
    for name, value in vars(trt).items():
        if name.startswith("_"):
            continue
        if name not in exported:
            problems.append(f"tensorrt.{name}: not in TensorRT 10.13")
        elif isinstance(value, type):
            check_class(name, value, lookup(classes, name), problems)
        elif isinstance(value, types.SimpleNamespace):  # an enum: its members
            stub = lookup(classes, name)
            problems += [f"{name}.{m}: no such enum member" for m in vars(value)
                         if not any(m in c.attributes for c in stub)]
    assert problems == [], "\n".join(problems)


def test_the_tensorrt_8_5_extras_are_exactly_what_10_13_removed(monkeypatch):
    classes, _ = read_stubs()
    fake_tensorrt.install(monkeypatch, "8.5.2")
    import sys

    trt = sys.modules["tensorrt"]
    extras = set()
    for cls_name in ("ICudaEngine", "IExecutionContext"):
        chain = lookup(classes, cls_name)
        for name in fake_members(getattr(trt, cls_name), chain):
            if not any(name in c.functions or name in c.attributes for c in chain):
                extras.add(f"{cls_name}.{name}")
    assert extras == TRT85_ONLY
