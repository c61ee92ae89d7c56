"""A static check that every message a person reads is wrapped for translation.

Used by tests/test_i18n_wrapped.py; reusable on its own::

    from tests.i18n_check import check_tree, format_findings
    print(format_findings(check_tree(Path("unlocker"))))

What counts as a *user-facing position* (the value there must not be a bare string):

- the message argument (the first positional one, or ``message=``) and ``hint=`` of a call to an
  exception class deriving from :class:`unlocker.errors.UnlockerError` (the classes of
  ``unlocker.errors``, plus classes of the scanned modules that subclass them by name), and the
  first argument of ``click.BadParameter`` / ``click.UsageError`` / ``click.ClickException``;
- the first positional argument of ``click.echo``, ``click.secho``, ``echo``, ``info``, ``warn``,
  ``note``, ``confirm``, ``click.confirm``, ``click.prompt``, ``tqdm.write``, ``notify`` and
  ``warnings.warn``;
- the keywords ``help=``, ``short_help=``, ``prompt=``, ``hint=``, ``fix=``, ``detail=`` and
  ``next_step=`` of any call;
- the docstring of a function decorated with ``@....command(...)`` / ``@....group(...)`` without a
  ``help=`` keyword (click prints that docstring for --help).

A value there is fine when it is a call to ``_``/``ngettext`` (optionally ``.format(...)``-ed),
another call, or a name/attribute/subscript that is not bound to a bare string in the same function
or at module level. It is reported when it is a string literal with a letter in it, an f-string
with a letter in its text, a ``+``/``%`` expression with such a piece, ``"...".format(...)`` on
such a literal, or a conditional expression with such a branch.

The ``_()`` calls themselves are checked too: the argument must be one plain string literal
(``ngettext``: the first two arguments; ``N_``: the argument), never an f-string, concatenation or
``.format`` inside, and placeholders must be named (``{phone}``, not ``{}``, ``{0}`` or ``%s``).
``_(variable)`` is accepted only in a module that marks a table with ``N_()`` (the documented way
to translate tables built at import time).

A line carrying the comment ``# i18n: not user-facing`` is skipped (for the rare justified case).
"""

from __future__ import annotations

import ast
import inspect
import re
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

OPT_OUT = "# i18n: not user-facing"

# Calls whose first positional argument a person reads. Dotted names match attribute calls
# exactly (``click.echo``), plain names match plain calls (``echo(...)``, ``info(...)``).
MESSAGE_CALLS = frozenset(
    {
        "click.echo",
        "click.secho",
        "echo",
        "info",
        "warn",
        "note",
        "confirm",
        "click.confirm",
        "click.prompt",
        "tqdm.write",
        "notify",
        "warnings.warn",
    }
)
CLICK_ERRORS = frozenset({"BadParameter", "UsageError", "ClickException"})
# Keywords that carry text for a person wherever they appear.
MESSAGE_KEYWORDS = frozenset({"help", "short_help", "prompt", "hint", "fix", "detail", "next_step"})
GETTEXT = "_"
NGETTEXT = "ngettext"
MARK = "N_"

_LETTER = re.compile(r"[^\W\d_]")
_PERCENT = re.compile(r"%(?:\([^)]*\))?[sdifrxXeEgGc]")


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    problem: str
    text: str = ""

    def __str__(self) -> str:
        tail = f": {self.text}" if self.text else ""
        return f"{self.path}:{self.line}: {self.problem}{tail}"


# --- exception classes ------------------------------------------------------------------------


def error_classes_from_package() -> dict[str, int | None]:
    """Every UnlockerError subclass defined in unlocker.errors -> index of its message argument.

    The index is that of the ``message`` parameter in ``__init__`` (None when the class takes no
    message, e.g. FastbootFailure whose first argument is the fastboot command).
    """
    import unlocker.errors as errors

    found: dict[str, int | None] = {}
    pending = [errors.UnlockerError]
    while pending:
        cls = pending.pop()
        if cls.__module__ == errors.__name__:  # deterministic: ignore subclasses defined elsewhere
            found[cls.__name__] = _message_index(list(inspect.signature(cls.__init__).parameters)[1:])
        pending.extend(cls.__subclasses__())
    return found


def _message_index(parameters: list[str]) -> int | None:
    return parameters.index("message") if "message" in parameters else None


def error_classes_in_trees(trees: Iterable[ast.AST], known: dict[str, int | None]) -> dict[str, int | None]:
    """``known`` plus the classes of ``trees`` that subclass one of them by name (to a fixpoint)."""
    classes = dict(known)
    defs = [node for tree in trees for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    changed = True
    while changed:
        changed = False
        for node in defs:
            if node.name in classes:
                continue
            bases = [_callee_name(base) for base in node.bases]
            parents = [b for b in bases if b in classes]
            if not parents:
                continue
            index = classes[parents[0]]
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    index = _message_index([a.arg for a in item.args.args[1:]])
            classes[node.name] = index
            changed = True
    return classes


# --- the checker ------------------------------------------------------------------------------


def _callee_name(node: ast.AST) -> str | None:
    """``f`` for ``f(...)``, ``attr`` for ``x.y.attr(...)``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def dotted_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = dotted_name(node.value)
        return f"{head}.{node.attr}" if head else None
    return None


def _is_message_call(func: ast.expr, dotted: str | None) -> bool:
    """``click.echo(...)`` (attribute calls match by their dotted name) or ``echo(...)`` (plain names)."""
    if isinstance(func, ast.Name):
        return func.id in MESSAGE_CALLS
    return dotted is not None and "." in dotted and dotted in MESSAGE_CALLS


def _has_letter(text: str) -> bool:
    return bool(_LETTER.search(text))


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _fstring_text(node: ast.JoinedStr) -> str:
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            parts.append(value.value)
        else:
            parts.append("{...}")
    return "".join(parts)


class _Checker(ast.NodeVisitor):
    def __init__(self, path: str, source: str, error_classes: dict[str, int | None]) -> None:
        self.path = path
        self.lines = source.splitlines()
        self.error_classes = error_classes
        self.findings: list[Finding] = []
        self.scopes: list[dict[str, list[ast.expr]]] = []
        self.uses_marks = False

    # scopes: the bare strings a name is bound to, so `msg = "..."; raise X(msg)` is caught too

    def run(self, tree: ast.Module) -> list[Finding]:
        self.uses_marks = any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == MARK
            for n in ast.walk(tree)
        )
        self.scopes.append(_bindings(tree.body))
        self.visit(tree)
        return self.findings

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._check_command_docstring(node)
        scope = _bindings(node.body)
        arguments = node.args
        for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            scope.setdefault(arg.arg, [])  # a parameter hides a module-level name of the same spelling
        for arg in (arguments.vararg, arguments.kwarg):
            if arg is not None:
                scope.setdefault(arg.arg, [])
        self.scopes.append(scope)
        self.generic_visit(node)
        self.scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Call(self, node: ast.Call) -> None:
        name = _callee_name(node.func)
        dotted = dotted_name(node.func)
        # Only the plain functions (``_``, ``N_``, ``ngettext`` as imported from unlocker.i18n); a
        # translations object's own ``.ngettext(singular, plural, n)`` is how they are implemented.
        plain = node.func.id if isinstance(node.func, ast.Name) else None
        if plain in (GETTEXT, MARK):
            self._check_gettext(node, 1)
        elif plain == NGETTEXT:
            self._check_gettext(node, 2)
        what = None
        message_index: int | None = None
        if name in self.error_classes:
            what, message_index = name, self.error_classes[name]
        elif _is_message_call(node.func, dotted) or (name in CLICK_ERRORS and dotted == f"click.{name}"):
            what, message_index = dotted, 0
        if what is not None and message_index is not None and len(node.args) > message_index:
            self._check_value(node.args[message_index], f"{what}(...) message", node)
        for keyword in node.keywords:
            if keyword.arg in MESSAGE_KEYWORDS or (what in self.error_classes and keyword.arg == "message"):
                self._check_value(keyword.value, f"{keyword.arg}=", node)
        self.generic_visit(node)

    # --- checks ---

    def _check_value(self, value: ast.expr, where: str, call: ast.AST, depth: int = 0) -> None:
        for bad in self._bare_strings(value, depth):
            if self._opted_out(bad, value) or self._opted_out_line(getattr(call, "lineno", 0)):
                continue
            self._report(bad, f"not wrapped in _() ({where})", _describe(bad))

    def _bare_strings(self, value: ast.expr, depth: int = 0) -> Iterator[ast.expr]:
        """The pieces of ``value`` that are text for a person left untranslated."""
        if isinstance(value, ast.Constant):
            if isinstance(value.value, str) and _has_letter(value.value):
                yield value
        elif isinstance(value, ast.JoinedStr):
            if _has_letter(_fstring_text(value)):
                yield value
        elif isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Add, ast.Mod)):
            yield from self._bare_strings(value.left, depth)
            if isinstance(value.op, ast.Add):
                yield from self._bare_strings(value.right, depth)
        elif isinstance(value, ast.IfExp):
            yield from self._bare_strings(value.body, depth)
            yield from self._bare_strings(value.orelse, depth)
        elif isinstance(value, ast.Call):
            func = value.func
            if isinstance(func, ast.Attribute) and func.attr == "format":
                yield from self._bare_strings(func.value, depth)
        elif isinstance(value, ast.Name) and depth < 3:
            for bound in self._bound(value.id):
                yield from self._bare_strings(bound, depth + 1)

    def _bound(self, name: str) -> list[ast.expr]:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return []

    def _check_gettext(self, node: ast.Call, count: int) -> None:
        if self._opted_out(node):
            return
        fn = _callee_name(node.func)
        args = node.args[:count]
        if len(args) < count or node.keywords:
            self._report(node, f"{fn}() needs {count} plain string literal argument(s)")
            return
        for arg in args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                self._check_placeholders(arg, fn)
            elif isinstance(arg, ast.JoinedStr):
                self._report(
                    arg, f"f-string inside {fn}(); use a named placeholder and .format()", _describe(arg)
                )
            elif isinstance(arg, ast.BinOp):
                self._report(arg, f"concatenation or % inside {fn}(); use one literal", _describe(arg))
            elif isinstance(arg, ast.Call):
                if isinstance(arg.func, ast.Attribute) and arg.func.attr == "format":
                    self._report(arg, f".format() inside {fn}(); call it on the result: {fn}(...).format()")
                else:
                    self._report(arg, f"{fn}() of a computed value; its argument must be a string literal")
            elif (
                fn == GETTEXT
                and self.uses_marks
                and isinstance(arg, (ast.Name, ast.Attribute, ast.Subscript))
            ):
                continue  # translating a text marked with N_() where it is shown
            else:
                self._report(arg, f"{fn}() argument is not one plain string literal", _describe(arg))

    def _check_placeholders(self, node: ast.Constant, fn: str | None) -> None:
        text = node.value
        try:
            fields = [
                field for _lit, field, _spec, _conv in string.Formatter().parse(text) if field is not None
            ]
        except ValueError:
            fields = []  # not a format string (a lone brace): nothing is substituted into it
        positional = [f for f in fields if f == "" or f.split(".")[0].split("[")[0].isdigit()]
        if positional:
            shown = ", ".join("{" + f + "}" for f in positional)
            self._report(node, f"positional placeholder {shown} in {fn}() text; name it", _short(text))
        if _PERCENT.search(text.replace("%%", "")):
            self._report(node, f"%-placeholder in {fn}() text; use a named {{placeholder}}", _short(text))

    def _check_command_docstring(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            name = _callee_name(call.func if call else decorator)
            if name not in ("command", "group"):
                continue
            if call and any(k.arg == "help" for k in call.keywords):
                continue
            doc = ast.get_docstring(node)
            if doc and not (self._opted_out(node.body[0]) or self._opted_out_line(node.lineno)):
                self._report(
                    node.body[0],
                    f"docstring of command {node.name!r} is its --help text; pass help=_(...) instead",
                    _short(doc),
                )

    # --- helpers ---

    def _opted_out(self, *nodes: ast.AST) -> bool:
        """Whether a line spanned by one of ``nodes`` carries the opt-out comment."""
        for node in nodes:
            first = getattr(node, "lineno", None)
            if first is None:
                continue
            last = getattr(node, "end_lineno", None) or first
            if any(self._opted_out_line(number) for number in range(first, last + 1)):
                return True
        return False

    def _opted_out_line(self, number: int) -> bool:
        return 0 < number <= len(self.lines) and OPT_OUT in self.lines[number - 1]

    def _report(self, node: ast.AST, problem: str, text: str = "") -> None:
        self.findings.append(Finding(self.path, getattr(node, "lineno", 0), problem, text))


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _short(node.value)
    if isinstance(node, ast.JoinedStr):
        return "f" + _short(_fstring_text(node))
    try:
        return _short(ast.unparse(node))
    except Exception:  # pragma: no cover - unparse handles every expression we meet
        return ""


def _bindings(body: list[ast.stmt]) -> dict[str, list[ast.expr]]:
    """name -> values assigned to it by simple ``name = value`` statements in this scope.

    Nested functions and classes are their own scopes and are left out.
    """
    found: dict[str, list[ast.expr]] = {}

    def walk(statements: Iterable[ast.stmt]) -> None:
        for statement in statements:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            if isinstance(statement, ast.Assign):
                for target in statement.targets:
                    if isinstance(target, ast.Name):
                        found.setdefault(target.id, []).append(statement.value)
            elif (
                isinstance(statement, ast.AnnAssign)
                and isinstance(statement.target, ast.Name)
                and statement.value is not None
            ):
                found.setdefault(statement.target.id, []).append(statement.value)
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(statement, field, None)
                if isinstance(inner, list):
                    walk(s for s in inner if isinstance(s, ast.stmt))
            for handler in getattr(statement, "handlers", []) or []:
                walk(handler.body)

    walk(body)
    return found


# --- entry points -----------------------------------------------------------------------------


def check_source(
    source: str, path: str = "<snippet>", error_classes: dict[str, int | None] | None = None
) -> list[Finding]:
    """Findings for one module's source text."""
    tree = ast.parse(source, filename=path)
    classes = error_classes_in_trees([tree], error_classes or error_classes_from_package())
    return sorted(_Checker(path, source, classes).run(tree))


def check_tree(root: Path, *, exclude: Iterable[str] = (), base: Path | None = None) -> list[Finding]:
    """Findings for every .py file under ``root``; ``exclude`` holds glob patterns relative to ``base``."""
    base = base or root.parent
    patterns = list(exclude)
    files = sorted(
        p
        for p in root.rglob("*.py")
        if "__pycache__" not in p.parts and not any(p.relative_to(base).match(pat) for pat in patterns)
    )
    sources = {p: p.read_text(encoding="utf-8") for p in files}
    trees = {p: ast.parse(text, filename=str(p)) for p, text in sources.items()}
    classes = error_classes_in_trees(trees.values(), error_classes_from_package())
    findings: list[Finding] = []
    for p in files:
        rel = p.relative_to(base).as_posix()
        findings += _Checker(rel, sources[p], classes).run(trees[p])
    return sorted(findings)


def format_findings(findings: list[Finding]) -> str:
    """Findings grouped by file, one line each, with counts."""
    by_file: dict[str, list[Finding]] = {}
    for finding in findings:
        by_file.setdefault(finding.path, []).append(finding)
    lines = [f"{len(findings)} unwrapped or malformed message(s) in {len(by_file)} file(s):"]
    for path, items in by_file.items():
        lines.append(f"\n{path} ({len(items)})")
        lines += [f"  {path}:{f.line}: {f.problem}{': ' + f.text if f.text else ''}" for f in items]
    lines.append("\nPer file: " + ", ".join(f"{path} {len(items)}" for path, items in by_file.items()))
    return "\n".join(lines)
