"""Xiaomi's flash_all*.sh read as data: a whitelist of line shapes, never a shell.

A Xiaomi fastboot ROM's script (flash_all.sh, flash_all_except_storage.sh, flash_all_lock.sh)
is a product check, an anti-rollback check, optionally a security-patch check and the CRC
lists, then one ``fastboot flash``/``erase`` per line, ``set_active a`` and ``reboot`` (or
``oem lock`` in the _lock variant). This module turns such a script into steps and the facts
its checks use; we perform every check ourselves and run nothing.

Nothing is dropped silently: a line of a shape we do not know is recorded in ``problems``
(the plan refuses to start), and a line that would relock the bootloader is recorded in
``relocks`` (the plan refuses too). Comments are the only lines ignored, as a shell does.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from unlocker.i18n import _

FLASH = "flash"
ERASE = "erase"
SET_ACTIVE = "set_active"
REBOOT = "reboot"

# Files the checks read, relative to the package's top folder.
ANTI_VERSION_FILE = "images/anti_version.txt"
SPL_FILE = "images/platform_security_patch.txt"
CRC_LISTS = ("crclist", "sparsecrclist")

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
_IF = re.compile(r"^if\s+\[\s+(.*?)\s*\]$")
_PRODUCT = re.compile(r"""^["']?\^product:(?: \*|\\s\*| ?)([A-Za-z0-9_.-]+)(\$?)["']?$""")
_DIRNAME = re.compile(r"""(`dirname\s+"?\$0"?`|\$\(dirname\s+"?\$0"?\))/""")
_VAR = r"""["']?\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?["']?"""
_EMPTY_TESTS = (
    re.compile(r"^-z\s+" + _VAR + r"$"),
    re.compile(r"""^"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?"x\s*==?\s*""x$"""),
)
_COMPARE = re.compile(r"^" + _VAR + r"\s+-gt\s+" + _VAR + r"$")
_EXISTS = re.compile(r"^-e\s+(.+)$")
_RELOCK = {
    ("oem", "lock"),
    ("flashing", "lock"),
    ("oem", "lock_critical"),
    ("flashing", "lock_critical"),
    ("oem", "relock"),
}

# What a variable of the script holds, as far as the checks are concerned.
DEVICE_ANTI = "device_anti"
DEVICE_SPL = "device_spl"
PACKAGE_ANTI_FILE = "package_anti_file"
PACKAGE_SPL_FILE = "package_spl_file"
LITERAL = "literal"


@dataclass(frozen=True)
class Step:
    kind: str  # FLASH, ERASE, SET_ACTIVE or REBOOT
    line: int
    text: str  # the line as the script writes it
    partition: str | None = None  # as written: 'abl_ab' means both slots of abl
    file: str | None = None  # relative to the package's top folder ('images/abl.elf')
    argument: str | None = None  # set_active's slot, reboot's target
    when_crc: bool = False  # only if the phone answers `getvar crc` with 1


@dataclass(frozen=True)
class Problem:
    line: int
    text: str
    why: str


@dataclass
class FlashScript:
    name: str
    codename: str | None = None
    codename_anchored: bool = False  # Xiaomi's grep is a prefix match unless it ends with '$'
    anti_literal: int | None = None  # CURRENT_ANTI_VER written in the script
    anti_file: str | None = None  # ... or read from this file of the package
    anti_checked: bool = False  # the script compares the phone's index with the package's
    device_anti_variable: str | None = None  # 'anti' or 'rollback_ver'
    spl_file: str | None = None  # the script refuses phones with a newer security patch
    steps: list[Step] = field(default_factory=list)
    relocks: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def relocking_name(self) -> bool:
        return "lock" in self.name.rsplit("/", 1)[-1].lower()


@dataclass
class _Block:
    kind: str  # 'failed', 'crc', 'exists', 'empty', 'compare', 'unknown'
    variable: str | None = None


def split_statements(line: str) -> list[str]:
    """Split at ';' outside quotes, backticks and $(...)."""
    parts: list[str] = []
    current: list[str] = []
    quote: str | None = None
    depth = 0
    i = 0
    while i < len(line):
        c = line[i]
        if quote:
            if c == quote:
                quote = None
            elif c == "\\" and quote == '"' and i + 1 < len(line):
                current.append(c)
                i += 1
                c = line[i]
        elif c in "'\"`":
            quote = c
        elif c == "$" and line[i + 1 : i + 2] == "(":
            depth += 1
        elif c == ")" and depth:
            depth -= 1
        elif c == ";" and depth == 0:
            parts.append("".join(current).strip())
            current = []
            i += 1
            continue
        current.append(c)
        i += 1
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def _split_outside_quotes(text: str, separator: str) -> tuple[str, str | None]:
    """(before, after) the first ``separator`` outside quotes and substitutions, else (text, None)."""
    quote: str | None = None
    depth = 0
    for i, c in enumerate(text):
        if quote:
            if c == quote:
                quote = None
            continue
        if c in "'\"`":
            quote = c
        elif c == "$" and text[i + 1 : i + 2] == "(":
            depth += 1
        elif c == ")" and depth:
            depth -= 1
        elif depth == 0 and text.startswith(separator, i):
            if separator == "|" and text.startswith("||", i):
                continue
            return text[:i].strip(), text[i + len(separator) :].strip()
    return text, None


def package_path(token: str) -> str | None:
    """'`dirname $0`/images/abl.elf' -> 'images/abl.elf'; None for anything not a plain path
    inside the package."""
    token = _DIRNAME.sub("", token.strip().strip('"').strip("'"))
    if not token or any(c in token for c in "$`\\*?~") or token.startswith("/"):
        return None
    parts = [p for p in PurePosixPath(token).parts if p != "."]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def _is_echo(statement: str) -> bool:
    return re.match(r"^@?echo(\s|$)", statement) is not None


def _is_exit(statement: str) -> bool:
    return re.match(r"^exit(\s+\d+)?$", statement) is not None


def _tail_ok(tail: str) -> bool:
    """What may follow '||' after a fastboot command: report the failure and stop."""
    for piece in re.split(r"\s*&&\s*|\s*;\s*", tail.strip().strip("{}").strip()):
        if piece and not (_is_echo(piece) or _is_exit(piece)):
            return False
    return True


class _Parser:
    def __init__(self, name: str) -> None:
        self.script = FlashScript(name)
        self.blocks: list[_Block] = []
        self.meanings: dict[str, tuple[str, object]] = {}
        self.last_getvar: str | None = None
        self.line = 0
        self.text = ""

    def problem(self, why: str) -> None:
        self.script.problems.append(Problem(self.line, self.text, why))

    # --- statements -------------------------------------------------------------------------

    def statement(self, s: str) -> None:
        if s == "then" or s.startswith("then "):
            if not self.blocks:
                self.problem(_("'then' without 'if'"))
            s = s[4:].strip()
        elif s == "else" or s.startswith("else "):
            if not self.blocks:
                self.problem(_("'else' without 'if'"))
            s = s[4:].strip()
        if not s:
            return
        if s == "fi":
            if not self.blocks:
                self.problem(_("'fi' without 'if'"))
            else:
                self.blocks.pop()
            return
        if s.startswith("if "):
            self.open_block(s)
            return
        if _is_echo(s) or re.match(r"^sleep\s+\d+$", s):
            return
        if _is_exit(s):
            if not self.blocks or self.blocks[-1].kind not in ("failed", "compare"):
                self.problem(_("the script would stop here unconditionally"))
            return
        assignment = _ASSIGN.match(s)
        if assignment:
            self.assign(assignment.group(1), assignment.group(2).strip())
            return
        if s.startswith("fastboot ") or s == "fastboot":
            self.fastboot(s)
            return
        self.problem(_("not a line shape unlocker knows from Xiaomi's scripts"))

    def open_block(self, s: str) -> None:
        m = _IF.match(s)
        condition = m.group(1).strip() if m else ""
        block = _Block("unknown")
        if condition in ("$? -ne 0", "$? != 0"):
            block = _Block("failed")
        elif condition in ("$? -eq 0", "$? = 0"):
            if self.last_getvar == "crc":
                block = _Block("crc")
        elif _EXISTS.match(condition):
            target = package_path(_EXISTS.match(condition).group(1))  # type: ignore[union-attr]
            if target in (ANTI_VERSION_FILE, SPL_FILE):
                block = _Block("exists")
        elif any(t.match(condition) for t in _EMPTY_TESTS):
            variable = next(t.match(condition) for t in _EMPTY_TESTS if t.match(condition)).group(1)  # type: ignore[union-attr]
            block = _Block("empty", variable)
        elif _COMPARE.match(condition):
            first, second = _COMPARE.match(condition).groups()  # type: ignore[union-attr]
            if self.compare(first, second):
                block = _Block("compare")
        if block.kind == "unknown":
            self.problem(_("a condition unlocker does not know"))
        self.blocks.append(block)

    def compare(self, device: str, package: str) -> bool:
        """`[ $ver -gt $CURRENT_ANTI_VER ]`: the phone's value against the package's."""
        d = self.meanings.get(device, ("", None))[0]
        p_kind, p_value = self.meanings.get(package, ("", None))
        if d == DEVICE_ANTI and p_kind in (LITERAL, PACKAGE_ANTI_FILE):
            self.script.anti_checked = True
            if p_kind == LITERAL:
                self.script.anti_literal = int(p_value)  # type: ignore[call-overload]
            else:
                self.script.anti_file = str(p_value)
            return True
        if d == DEVICE_SPL and p_kind == PACKAGE_SPL_FILE:
            self.script.spl_file = str(p_value)
            return True
        return False

    def assign(self, name: str, value: str) -> None:
        block = self.blocks[-1] if self.blocks else None
        if block is not None and block.kind not in ("exists", "empty"):
            self.problem(_("a variable is set where unlocker does not expect it"))
            return
        if re.fullmatch(r"\d+", value):
            if name not in self.meanings or block is None:
                self.meanings[name] = (LITERAL, int(value))
            # else: a default for an empty value; it keeps its meaning (we default the same way)
            return
        inner = None
        if value.startswith("`") and value.endswith("`"):
            inner = value[1:-1]
        elif value.startswith("$(") and value.endswith(")"):
            inner = value[2:-1]
        if inner is None:
            self.problem(_("a variable is set to something unlocker does not know"))
            return
        inner = _DIRNAME.sub("", inner.strip())
        getvar = re.match(r"^fastboot\s+(?:\$\*\s+|\$@\s+|\"\$@\"\s+)?getvar\s+([\w-]+)(\s|$)", inner)
        if getvar and getvar.group(1) in ("anti", "rollback_ver"):
            self.meanings[name] = (DEVICE_ANTI, getvar.group(1))
            self.script.device_anti_variable = getvar.group(1)
            return
        if getvar and getvar.group(1) == "security-patch-level":
            self.meanings[name] = (DEVICE_SPL, None)
            return
        cat = re.match(r"^cat\s+(\S+)$", inner)
        if cat:
            target = package_path(cat.group(1))
            if target == ANTI_VERSION_FILE:
                self.meanings[name] = (PACKAGE_ANTI_FILE, target)
                return
            if target == SPL_FILE:
                self.meanings[name] = (PACKAGE_SPL_FILE, target)
                return
        date = re.match(r"^date\s+-d\s+" + _VAR + r"\s+\+%s$", inner)
        if date and date.group(1) in self.meanings:
            self.meanings[name] = self.meanings[date.group(1)]
            return
        self.problem(_("a variable is set from a command unlocker does not know"))

    # --- fastboot lines ---------------------------------------------------------------------

    def fastboot(self, s: str) -> None:
        head, tail = _split_outside_quotes(s, "||")
        if tail is not None and not _tail_ok(tail):
            self.problem(_("what follows '||' is not just a message and exit"))
            return
        command, pipe = _split_outside_quotes(head, "|")
        try:
            words = shlex.split(_DIRNAME.sub("", command))
        except ValueError:
            self.problem(_("unbalanced quotes"))
            return
        words = words[1:]
        if words and words[0] in ("$*", "$@"):
            words = words[1:]
        words = [w for w in words if w != "2>&1"]
        if not words:
            self.problem(_("fastboot without a command"))
            return
        block = self.blocks[-1].kind if self.blocks else None
        if words[0] == "getvar" and len(words) == 2 and pipe is not None:
            self.getvar_check(words[1], pipe)
            return
        if pipe is not None:
            self.problem(_("a fastboot command piped into another program"))
            return
        if tuple(words[:2]) in _RELOCK:
            self.script.relocks.append(Problem(self.line, self.text, _("relocks the bootloader")))
            return
        if block not in (None, "crc"):
            self.problem(_("a fastboot command inside a condition unlocker does not know"))
            return
        step = self.step(words, block == "crc")
        if step is not None:
            if block == "crc" and not (step.kind == FLASH and step.partition in CRC_LISTS):
                self.problem(_("only the CRC lists may be flashed depending on 'getvar crc'"))
                return
            self.script.steps.append(step)

    def step(self, words: list[str], when_crc: bool) -> Step | None:
        verb, args = words[0], words[1:]
        if verb == "flash" and len(args) == 2 and _NAME.match(args[0]):
            file = package_path(args[1])
            if file is None:
                self.problem(_("the image is not a plain path inside the package"))
                return None
            return Step(FLASH, self.line, self.text, partition=args[0], file=file, when_crc=when_crc)
        if verb == "erase" and len(args) == 1 and _NAME.match(args[0]):
            return Step(ERASE, self.line, self.text, partition=args[0])
        if verb in ("set_active", "--set-active") and len(args) == 1 and args[0].lstrip("_") in ("a", "b"):
            return Step(SET_ACTIVE, self.line, self.text, argument=args[0].lstrip("_"))
        if verb == "reboot" and not args:
            return Step(REBOOT, self.line, self.text, argument="system")
        self.problem(_("a fastboot command unlocker does not run from a package"))
        return None

    def getvar_check(self, variable: str, pipe: str) -> None:
        """`fastboot getvar product 2>&1 | grep "^product: *NAME"` and the CRC probe."""
        try:
            words = shlex.split(pipe, posix=False)
        except ValueError:
            self.problem(_("unbalanced quotes"))
            return
        if not words or words[0] != "grep":
            self.problem(_("a fastboot answer checked with something other than grep"))
            return
        patterns = [w for w in words[1:] if not w.startswith("-")]
        pattern = patterns[-1].strip('"').strip("'") if len(patterns) == 1 else ""
        if variable == "product":
            m = _PRODUCT.match(pattern)
            if m is None:
                self.problem(_("a product check unlocker cannot read"))
                return
            self.script.codename = m.group(1)
            self.script.codename_anchored = bool(m.group(2))
            self.last_getvar = "product"
            return
        if variable == "crc" and pattern == "^crc: 1":
            self.last_getvar = "crc"
            return
        self.problem(_("a check of 'getvar {variable}' unlocker does not know").format(variable=variable))


def parse_script(name: str, text: str) -> FlashScript:
    """Every line of a flash_all*.sh, as data. Never raises: problems are recorded."""
    parser = _Parser(name)
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        parser.line, parser.text = number, line
        if not line or line.startswith("#"):
            continue
        for statement in split_statements(line):
            parser.statement(statement)
    if parser.blocks:
        parser.line, parser.text = len(text.splitlines()), ""
        parser.problem(_("an 'if' is never closed"))
    return parser.script
