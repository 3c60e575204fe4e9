"""The shape of the package (issues 16 and 28), read from the source with
``ast``: one folder per concept and at most 15 modules at the top, no module
over 400 lines, no function over 50, at most 8 imports of package modules
inside functions, no import cycle at module level and none through three or
more package modules at all.  The cycle check builds its graph from every import, at module level
and inside functions, with two exceptions: imports under ``if TYPE_CHECKING:``
(they never run) and the public conveniences issue 16 keeps as lazy imports
(FACADES: a method on a model that imports the pipeline when called closes a
circle through the pipeline's own modules whatever the layout).  The layer
order itself is import-linter's contract in pyproject.toml (``lint-imports``,
run by ``tox -e lint``), which lists the same facades.
"""

import ast
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = "django_vox"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50
# 8 of the core (ready(), notify() and the model conveniences) and 4 doors of the
# 4.x compatibility layer, which the core may only reach when called: ready()
# installing compat, ``from django_vox.models import VoxModel``,
# ``backends.base.template_from_string`` and the 4.x admin URLs (the admin is
# optional, so it is imported only when installed).
MAX_LOCAL_IMPORTS = 12
MAX_TOP_MODULES = 15
# (importer, imported module or package): the lazy imports behind
# Notification.issue()/issue_now()/preview(), Delivery.resend(),
# FailedMessage.resend() and Activity.as_document().  Keep in step with
# ignore_imports in pyproject.toml.
FACADES = {
    ("django_vox.models.notifications", "django_vox.issuing"),
    ("django_vox.models.notifications", "django_vox.templating.preview"),
    ("django_vox.models.deliveries", "django_vox.issuing.resending"),
    ("django_vox.models.activities", "django_vox.activities.documents"),
    # ``from django_vox.models import VoxModel``: the 4.x legacy model API, read
    # from django_vox.compat when asked for (a door of the contract "compat").
    ("django_vox.models", "django_vox.compat.models"),
}


@dataclass
class Module:
    name: str
    path: Path
    tree: ast.Module
    lines: int
    imports: list = field(default_factory=list)  # (imported module, line, inside a function)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def import_targets(node, module: Module, known: set) -> list:
    """The package modules an import statement names."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == PACKAGE]
    base = node.module or ""
    if node.level:
        anchor = module.name.split(".")
        if module.path.name != "__init__.py":
            anchor = anchor[:-1]
        anchor = anchor[:len(anchor) - (node.level - 1)]
        base = ".".join(anchor + ([base] if base else []))
    if base.split(".")[0] != PACKAGE:
        return []
    # "from package import module" names the module; "from module import name" the module.
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]


def collect_imports(module: Module, known: set) -> None:
    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and is_type_checking(child):
                for sub in child.orelse:
                    visit_statement(sub, in_function)
                continue
            visit_statement(child, in_function)

    def visit_statement(node, in_function):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for target in dict.fromkeys(import_targets(node, module, known)):
                module.imports.append((target, node.lineno, in_function))
            return
        inside = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        visit(node, inside)

    visit(module.tree, False)


def load_modules() -> dict:
    modules = {}
    for path in sorted(ROOT.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        name = module_name(path)
        modules[name] = Module(name, path, ast.parse(source, str(path)),
                               len(source.splitlines()))
    for module in modules.values():
        collect_imports(module, set(modules))
    return modules


MODULES = load_modules()


def where(module: Module, line: int) -> str:
    return f"{module.path.relative_to(ROOT.parent)}:{line}"


def is_facade(importer: str, target: str) -> bool:
    return any(importer == source and (target == facade or target.startswith(facade + "."))
               for source, facade in FACADES)


def import_graph(*, module_level_only: bool = False) -> dict:
    graph = {name: set() for name in MODULES}
    for module in MODULES.values():
        for target, _line, local in module.imports:
            if local and (module_level_only or is_facade(module.name, target)):
                continue
            if target in graph and target != module.name:
                graph[module.name].add(target)
    return graph


def strongly_connected(graph: dict) -> list:
    """Tarjan's algorithm: the groups of modules that reach one another."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def connect(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                connect(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return groups


def long_cycle(graph: dict, group: list):
    """A simple cycle of three or more modules inside ``group``, or None (a group
    held together only by pairs importing each other has none)."""
    members = set(group)

    def search(start, path):
        for successor in sorted(graph[path[-1]] & members):
            if successor == start and len(path) >= 3:
                return [*path, start]
            if successor > start and successor not in path:
                found = search(start, [*path, successor])
                if found:
                    return found
        return None

    for start in group:
        found = search(start, [start])
        if found:
            return found
    return None


def test_at_most_15_modules_at_the_top():
    # The package's own __init__.py counts, as do the thin 4.x paths.
    top = sorted(path.name for path in ROOT.glob("*.py"))
    assert len(top) <= MAX_TOP_MODULES, f"{len(top)} modules at the top: {top}"


def test_every_folder_says_what_lives_there():
    quiet = [str(path.relative_to(ROOT.parent)) for path in ROOT.glob("*/__init__.py")
             if path.parent.name not in ("migrations", "management")
             and not ast.get_docstring(MODULES[module_name(path)].tree)]
    assert not quiet, "packages without a docstring: " + ", ".join(quiet)


def test_no_module_is_over_400_lines():
    long = [f"{m.path.relative_to(ROOT.parent)}: {m.lines} lines"
            for m in MODULES.values() if m.lines > MAX_MODULE_LINES]
    assert not long, "modules over 400 lines:\n" + "\n".join(long)


def test_no_function_is_over_50_lines():
    long = []
    for module in MODULES.values():
        for node in ast.walk(module.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{where(module, node.lineno)} {node.name}(): {length} lines")
    assert not long, "functions over 50 lines:\n" + "\n".join(long)


def test_at_most_12_function_local_imports_of_package_modules():
    local = [f"{where(m, line)} imports {target}" for m in MODULES.values()
             for target, line, in_function in m.imports if in_function]
    assert len(local) <= MAX_LOCAL_IMPORTS, (
        f"{len(local)} function-local imports of package modules (at most "
        f"{MAX_LOCAL_IMPORTS}):\n" + "\n".join(local))


def test_no_import_cycle_of_three_or_more_modules():
    graph = import_graph()
    cycles = [f"{', '.join(group)}\n  e.g. {' -> '.join(cycle)}"
              for group in strongly_connected(graph) if len(group) >= 3
              for cycle in [long_cycle(graph, group)] if cycle]
    assert not cycles, "import cycles through 3+ package modules:\n" + "\n".join(cycles)


def test_no_import_cycle_at_module_level():
    graph = import_graph(module_level_only=True)
    cycles = [", ".join(group) for group in strongly_connected(graph) if len(group) >= 2]
    assert not cycles, "modules importing one another at module level:\n" + "\n".join(cycles)


# -- the checks themselves, on small made-up packages -------------------------
def test_only_the_listed_lazy_facades_are_left_out_of_the_graph():
    assert is_facade("django_vox.models.notifications", "django_vox.issuing.issue")
    assert not is_facade("django_vox.models.notifications", "django_vox.registry")
    assert not is_facade("django_vox.issuing", "django_vox.models")


def test_cycle_search_finds_three_and_ignores_pairs():
    triangle = {"a": {"b"}, "b": {"c"}, "c": {"a"}}
    assert long_cycle(triangle, ["a", "b", "c"]) == ["a", "b", "c", "a"]
    pairs = {"a": {"b"}, "b": {"a", "c"}, "c": {"b"}}
    [group] = strongly_connected(pairs)
    assert group == ["a", "b", "c"] and long_cycle(pairs, group) is None


def test_imports_are_resolved_to_modules(tmp_path):
    source = ("from typing import TYPE_CHECKING\n"
              "from django_vox import conf\n"
              "from django_vox.models import Delivery\n"
              "from . import retry\n"
              "if TYPE_CHECKING:\n    from django_vox import registry\n"
              "def f():\n    import django_vox.tasks\n")
    module = Module("django_vox.sample", ROOT / "sample.py", ast.parse(source), 8)
    collect_imports(module, {"django_vox.conf", "django_vox.models", "django_vox.retry",
                             "django_vox.registry", "django_vox.tasks"})
    assert module.imports == [("django_vox.conf", 2, False), ("django_vox.models", 3, False),
                              ("django_vox.retry", 4, False), ("django_vox.tasks", 8, True)]
