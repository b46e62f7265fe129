"""The layout of src/storyforge, enforced by reading its source with ``ast`` (nothing is imported).

- no import cycles among storyforge's modules (counting imports run when a module loads: not those
  inside functions, nor under ``if TYPE_CHECKING:``);
- no module over 400 lines;
- ``storyforge.core`` imports nothing from the layers built on it, and ``storyforge.render`` neither
  the site writer nor the build (these count every import in the file, inside functions too);
- only ``storyforge.publish`` writes files.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "storyforge"
MAX_LINES = 400
CORE_MUST_NOT_IMPORT = ("storyforge.render", "storyforge.publish", "storyforge.incremental", "storyforge.serve",
                        "storyforge.check", "storyforge.moderation", "storyforge.build", "storyforge.cli")
RENDER_MUST_NOT_IMPORT = ("storyforge.publish.output", "storyforge.build")
WRITE_MODE = re.compile(r"[rwaxbtU+]*[wax+][rwaxbtU+]*")
WRITE_FLAGS = {"O_WRONLY", "O_RDWR", "O_CREAT"}


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    is_package: bool
    tree: ast.Module
    lines: int

    def where(self, line: int) -> str:
        return f"{self.path.as_posix()}:{line}"


@dataclass(frozen=True)
class Import:
    target: str  # a storyforge module
    line: int
    at_load: bool  # runs when the module is imported: not in a function, not under TYPE_CHECKING


def read_package(root: Path) -> dict[str, Module]:
    """Every module of the package under ``root`` (the folder holding ``storyforge/``), by dotted name."""
    modules = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        text = path.read_text(encoding="utf-8")
        shown = path.relative_to(root.parent) if root.parent in path.parents else path
        modules[name] = Module(name, shown, is_package, ast.parse(text, str(path)), len(text.splitlines()))
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(node: ast.AST, at_load: bool = True) -> Iterator[tuple[ast.AST, bool]]:
    """Every node below ``node``, with whether it runs when the module loads."""
    for child in ast.iter_child_nodes(node):
        yield child, at_load
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from _walk(child, False)
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            yield child.test, at_load
            for statement in child.body:
                yield statement, False
                yield from _walk(statement, False)
            for statement in child.orelse:
                yield statement, at_load
                yield from _walk(statement, at_load)
        else:
            yield from _walk(child, at_load)


def _known(name: str, modules: dict[str, Module]) -> str | None:
    """The storyforge module ``name`` is, or is in (``storyforge.x.Thing`` → ``storyforge.x``)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: Module, modules: dict[str, Module]) -> list[Import]:
    found = []
    for node, at_load in _walk(module.tree):
        if isinstance(node, ast.Import):
            targets = [_known(alias.name, modules) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.name.split(".")
                base = base[: len(base) - node.level + (1 if module.is_package else 0)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            # `from pkg import mod` imports the module pkg.mod; `from mod import name` imports mod
            targets = [_known(f"{source}.{alias.name}", modules) or _known(source, modules) for alias in node.names]
        else:
            continue
        found += [Import(t, node.lineno, at_load) for t in dict.fromkeys(targets) if t and t != module.name]
    return found


def import_cycles(modules: dict[str, Module]) -> list[str]:
    """One cycle per strongly connected group of modules, each step with the file and line that makes it."""
    edges: dict[str, dict[str, int]] = {name: {} for name in modules}
    for name, module in modules.items():
        for imp in imports_of(module, modules):
            if imp.at_load:
                edges[name].setdefault(imp.target, imp.line)
    cycles = []
    for group in _strongly_connected(edges):
        if len(group) < 2:
            continue
        start = min(group)
        path = _path_back(start, edges, group)
        steps = [f"{modules[a].where(edges[a][b])} {a} imports {b}" for a, b in pairwise(path)]
        cycles.append(" -> ".join(path) + "\n    " + "\n    ".join(steps))
    return cycles


def _strongly_connected(edges: dict[str, dict[str, int]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    groups.append(group)
    return groups


def _path_back(start: str, edges: dict[str, dict[str, int]], group: set[str]) -> list[str]:
    """The shortest way from ``start`` round to itself, staying inside ``group``."""
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(edges[node]):
                if child == start:
                    path = [start, node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [*path[:0:-1], start]
                if child in group and child not in came_from:
                    came_from[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # a strongly connected group always has one


def forbidden_imports(modules: dict[str, Module], layer: str, forbidden: tuple[str, ...]) -> list[str]:
    """Imports anywhere in a module of ``layer`` (in functions and TYPE_CHECKING blocks too) of ``forbidden``."""
    return [f"{module.where(imp.line)}: {name} imports {imp.target}"
            for name, module in modules.items() if name == layer or name.startswith(layer + ".")
            for imp in imports_of(module, modules)
            if any(imp.target == f or imp.target.startswith(f + ".") for f in forbidden)]


def file_writes(modules: dict[str, Module], allowed: str = f"{PACKAGE}.publish") -> list[str]:
    """Calls that write, rename or replace a file, outside ``allowed``."""
    found = []
    for name, module in modules.items():
        if name == allowed or name.startswith(allowed + "."):
            continue
        writes = sorted(_writes(module.tree), key=lambda write: write[0].lineno)
        found += [f"{module.where(node.lineno)}: {name} calls {what}" for node, what in writes]
    return found


def _writes(tree: ast.Module) -> Iterator[tuple[ast.Call, str]]:
    os_names = {"os"}  # what the os module, and each function taken from it, is called here
    from_os: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            os_names |= {alias.asname or alias.name for alias in node.names if alias.name == "os"}
        elif isinstance(node, ast.ImportFrom) and node.module == "os" and not node.level:
            from_os |= {alias.asname or alias.name: alias.name for alias in node.names}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in os_names:
            called = f"os.{func.attr}"
        elif isinstance(func, ast.Name) and func.id in from_os:
            called = f"os.{from_os[func.id]}"
        elif isinstance(func, ast.Name):
            called = func.id
        elif isinstance(func, ast.Attribute):
            called = f".{func.attr}"
        else:
            continue
        if called in ("os.replace", "os.rename", ".write_text", ".write_bytes"):
            yield node, called
        elif called in ("open", "os.fdopen", ".open") and _writes_by_mode(_argument(node, 1 if called != ".open"
                                                                                   else 0, "mode")):
            yield node, f"{called}(..., {ast.unparse(_argument(node, 1 if called != '.open' else 0, 'mode'))})"
        elif called == "os.open" and _writes_by_flags(_argument(node, 1, "flags"), os_names, from_os):
            yield node, f"os.open(..., {ast.unparse(_argument(node, 1, 'flags'))})"


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr:
    for given in call.keywords:
        if given.arg == keyword:
            return given.value
    return call.args[position] if len(call.args) > position else ast.Constant(None)


def _writes_by_mode(mode: ast.expr) -> bool:
    return isinstance(mode, ast.Constant) and isinstance(mode.value, str) and bool(WRITE_MODE.fullmatch(mode.value))


def _writes_by_flags(flags: ast.expr, os_names: set[str], from_os: dict[str, str]) -> bool:
    for node in ast.walk(flags):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in os_names
                and node.attr in WRITE_FLAGS):
            return True
        if isinstance(node, ast.Name) and from_os.get(node.id) in WRITE_FLAGS:
            return True
    return False


def _fail(found: list[str], rule: str) -> None:
    if found:
        pytest.fail(f"{rule}:\n  " + "\n  ".join(found), pytrace=False)


@pytest.fixture(scope="module")
def modules() -> dict[str, Module]:
    return read_package(SRC)


def test_no_import_cycles(modules):
    _fail(import_cycles(modules), "import cycles among storyforge's modules (imports run when a module loads)")


def test_no_module_over_400_lines(modules):
    _fail([f"{m.where(MAX_LINES + 1)}: {name} has {m.lines} lines, over {MAX_LINES}"
           for name, m in modules.items() if m.lines > MAX_LINES], f"modules over {MAX_LINES} lines")


def test_core_imports_nothing_built_on_it(modules):
    _fail(forbidden_imports(modules, f"{PACKAGE}.core", CORE_MUST_NOT_IMPORT),
          "storyforge.core imports a layer built on it")


def test_render_imports_neither_the_site_writer_nor_the_build(modules):
    _fail(forbidden_imports(modules, f"{PACKAGE}.render", RENDER_MUST_NOT_IMPORT),
          "storyforge.render imports the site writer or the build")


#: what each package may import besides itself and storyforge.errors (ARCHITECTURE.md, "The packages")
ALLOWED = {
    "core": (),
    "render": ("core", "parallel", "incremental.compiled_templates", "publish.atomic"),
    "incremental": ("core", "parallel", "render", "publish"),
    "publish": ("render.outputs",),
    "check": ("core", "publish.atomic", "arguments"),
    "moderation": ("core", "publish.atomic", "arguments"),
    "images": ("core", "parallel", "render.outputs", "render.pictures", "publish.atomic"),
    "deploy": ("core", "publish.mirror", "moderation.policy", "incremental.cache", "progress", "arguments"),
    "desk": ("core", "moderation", "publish.atomic"),
    "intake": ("core", "moderation", "desk", "publish.atomic", "arguments"),
}


def imports_beyond(modules: dict[str, Module], package: str, allowed: tuple[str, ...]) -> list[str]:
    """Imports anywhere in ``package`` of storyforge modules outside it, ``errors`` and ``allowed``."""
    own = (package, "errors", *allowed)
    return [f"{module.where(imp.line)}: {name} imports {imp.target}"
            for name, module in modules.items() if name.startswith(f"{PACKAGE}.{package}.")
            or name == f"{PACKAGE}.{package}"
            for imp in imports_of(module, modules)
            if imp.target != PACKAGE
            and not any(imp.target == f"{PACKAGE}.{a}" or imp.target.startswith(f"{PACKAGE}.{a}.") for a in own)]


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_package_imports_only_what_the_architecture_allows(modules, package):
    _fail(imports_beyond(modules, package, ALLOWED[package]),
          f"storyforge.{package} imports beyond {', '.join(ALLOWED[package]) or 'nothing'} (see ARCHITECTURE.md)")


def test_only_publish_writes_files(modules):
    _fail(file_writes(modules), "files written outside storyforge.publish")


# --- the checker itself, on a made-up package -------------------------------------------------------------

SYNTHETIC = {
    "__init__.py": "",
    # a cycle a -> b -> c -> a, through three kinds of import
    "a.py": "import os\nfrom storyforge import b\n",
    "b.py": "from . import c\n",
    "c.py": "import storyforge.a as again\n\nvalue = again\n",
    # imports that do not run at load time close no cycle
    "d.py": "from storyforge.e import thing\n",
    "e.py": ("from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from storyforge import d\n\n"
             "def thing():\n    from storyforge.d import thing as again\n    return again\n"),
    "core/__init__.py": "from .. import d\n",  # relative, from a package's __init__
    "core/model.py": "def late():\n    from storyforge.render import page\n    return page\n",
    "render/__init__.py": "",
    "render/page.py": ("import os as system\nfrom pathlib import Path\nfrom storyforge.publish import output\n\n"
                       "def draw(path: Path, fd: int):\n"
                       "    open(path).read()\n"
                       "    open(path, 'rb').read()\n"
                       "    open(path, mode='a')\n"
                       "    path.write_text('x')\n"
                       "    system.replace(path, path)\n"
                       "    system.open(path, system.O_WRONLY | system.O_CREAT)\n"
                       "    system.open(path, system.O_RDONLY)\n"
                       "    system.fdopen(fd, 'w')\n"
                       "    path.open('r+')\n"
                       "    'a'.replace('a', 'b')\n"),
    "publish/__init__.py": "",
    "publish/output.py": "import os\n\ndef write(path, data):\n    path.write_bytes(data)\n    os.rename(path, path)\n",
    "long.py": "x = 1\n" * (MAX_LINES + 1),
    "short.py": "x = 1\n" * MAX_LINES,
}


@pytest.fixture
def synthetic(tmp_path) -> dict[str, Module]:
    for rel, text in SYNTHETIC.items():
        path = tmp_path / "src" / PACKAGE / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return read_package(tmp_path / "src")


def test_the_checker_finds_a_cycle_and_nothing_else(synthetic):
    [cycle] = import_cycles(synthetic)
    assert cycle.splitlines()[0] == "storyforge.a -> storyforge.b -> storyforge.c -> storyforge.a"
    assert "src/storyforge/b.py:1 storyforge.b imports storyforge.c" in cycle
    assert "src/storyforge/c.py:1 storyforge.c imports storyforge.a" in cycle


def test_the_checker_finds_layering_imports_inside_functions_too(synthetic):
    assert forbidden_imports(synthetic, "storyforge.core", CORE_MUST_NOT_IMPORT) == [
        "src/storyforge/core/model.py:2: storyforge.core.model imports storyforge.render.page"]
    assert forbidden_imports(synthetic, "storyforge.render", RENDER_MUST_NOT_IMPORT) == [
        "src/storyforge/render/page.py:3: storyforge.render.page imports storyforge.publish.output"]


def test_the_checker_finds_each_kind_of_write_outside_publish(synthetic):
    assert sorted(file_writes(synthetic)) == sorted([
        "src/storyforge/render/page.py:8: storyforge.render.page calls open(..., 'a')",
        "src/storyforge/render/page.py:9: storyforge.render.page calls .write_text",
        "src/storyforge/render/page.py:10: storyforge.render.page calls os.replace",
        "src/storyforge/render/page.py:11: storyforge.render.page calls os.open(..., system.O_WRONLY | system.O_CREAT)",
        "src/storyforge/render/page.py:13: storyforge.render.page calls os.fdopen(..., 'w')",
        "src/storyforge/render/page.py:14: storyforge.render.page calls .open(..., 'r+')",
    ])


def test_the_checker_counts_lines(synthetic):
    assert {name for name, m in synthetic.items() if m.lines > MAX_LINES} == {"storyforge.long"}
