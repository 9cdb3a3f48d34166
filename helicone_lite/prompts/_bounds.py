"""Bounds on rendering a template: output size, loop and macro steps, and time.

The sandbox stops attribute walks and unsafe calls, not resource exhaustion: ``~``, ``+``,
``center(10**9)``, ``format`` widths, integer chains, nested loops and ``lipsum(10**6)`` built
1 to 1.6 GB strings or ran 23 to 40 s. Here every way a template can make a big value is checked
*before* the value is built, and work is counted while it runs:

* strings and lists made by ``~`` (rewritten to a checked join), ``+``, ``*``, ``%``, the filters
  and ``str`` methods that take a width or repeat text (``center``, ``indent``, ``format``,
  ``join``, ``replace``, ``ljust``, ``zfill``, ``expandtabs``, ``str.format`` widths…) are kept
  under ``MAX_CHARS`` characters;
* integers made by ``*`` and ``**`` under ``MAX_INT_BITS`` bits;
* ``lipsum`` under ``MAX_LIPSUM`` paragraphs; ``range`` under the sandbox's 100 000 items;
* every loop iteration and macro call is a step: at most ``MAX_STEPS`` per render; the clock is
  read every step and a render stops after ``MAX_SECONDS``;
* the rendered text is counted as it is generated: at most ``MAX_CHARS``.

Past a bound, rendering raises ``SecurityError``, which ``render_text`` turns into a
``PromptError`` naming the bound. Limits are documented in docs/security.md.
"""

from __future__ import annotations

import contextvars
import re
import string
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from jinja2 import nodes
from jinja2.exceptions import SecurityError

__all__ = [
    "MAX_CHARS",
    "MAX_INT_BITS",
    "MAX_SECONDS",
    "MAX_STEPS",
    "Budget",
    "bound_environment",
    "check_binop",
    "check_call",
    "metered",
    "rewrite",
]

MAX_CHARS = 2_000_000
MAX_INT_BITS = 8192
MAX_STEPS = 1_000_000
MAX_SECONDS = 2.0
MAX_LIPSUM = 100
MAX_WIDTH = 100_000  # a single format width / precision
TICK = "__hl_tick__"
CONCAT = "__hl_concat__"


@dataclass
class Budget:
    """What one render may still spend."""

    clock: Callable[[], float] = time.monotonic
    seconds: float = MAX_SECONDS
    steps: int = MAX_STEPS
    deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self.deadline = self.clock() + self.seconds

    def step(self) -> None:
        self.steps -= 1
        if self.steps < 0:
            raise SecurityError(f"the template ran more than {MAX_STEPS} loop or macro steps")
        self.check_time()

    def check_time(self) -> None:
        if self.clock() > self.deadline:
            raise SecurityError(f"the template took longer than {self.seconds:g} s to render")


_BUDGET: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
    "helicone_lite_template_budget", default=None
)


def metered(render: Callable[[], Iterable[str]], budget: Budget) -> str:
    """Run ``render`` (a template's ``generate``) under ``budget``; count what it writes."""
    token = _BUDGET.set(budget)
    try:
        pieces: list[str] = []
        size = 0
        for piece in render():
            size += len(piece)
            if size > MAX_CHARS:
                raise SecurityError(f"the rendered text is longer than {MAX_CHARS} characters")
            pieces.append(piece)
            budget.check_time()
        return "".join(pieces)
    finally:
        _BUDGET.reset(token)


def _tick() -> str:
    budget = _BUDGET.get()
    if budget is not None:
        budget.step()
    return ""


def _too_long(size: int, what: str) -> None:
    if size > MAX_CHARS:
        raise SecurityError(f"{what} would be longer than {MAX_CHARS} characters")


def _concat(*parts: Any) -> str:
    texts = [str(p) for p in parts]
    _too_long(sum(len(t) for t in texts), "the ~ expression")
    return "".join(texts)


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse ``left <operator> right`` if its result would pass a bound."""
    if operator == "+":
        if isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
            _too_long(len(left) + len(right), "the + expression")
    elif operator == "*":
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and _is_int(times):
                _too_long(len(seq) * max(times, 0), "the repeated sequence")
        if _is_int(left) and _is_int(right) and _bits(left) + _bits(right) > MAX_INT_BITS:
            raise SecurityError(f"the product would have more than {MAX_INT_BITS} bits")
    elif operator == "**":
        if _is_int(left) and _is_int(right) and abs(left) > 1:
            if right > MAX_INT_BITS or _bits(left) * right > MAX_INT_BITS:
                raise SecurityError(f"the power would have more than {MAX_INT_BITS} bits")
        elif _is_number(right) and abs(right) > 1024 and _is_number(left) and abs(left) > 1:
            raise SecurityError("the power is too large for a template")
    elif operator == "%" and isinstance(left, str):
        _check_percent(left)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _bits(value: int) -> int:
    return abs(value).bit_length()


_PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_percent(fmt: str) -> None:
    for match in _PERCENT.finditer(fmt):
        for width in match.groups():
            if width == "*" or (width and int(width) > MAX_WIDTH):
                raise SecurityError(f"format widths above {MAX_WIDTH} are not allowed")


def _check_format(fmt: str) -> None:
    try:
        parsed = list(string.Formatter().parse(fmt))
    except ValueError:
        return  # str.format raises its own error
    for _, _, spec, _ in parsed:
        if spec and ("{" in spec or any(int(n) > MAX_WIDTH for n in re.findall(r"\d+", spec))):
            raise SecurityError(f"format widths above {MAX_WIDTH} (or from inputs) are not allowed")


def _width(value: object) -> int:
    return value if _is_int(value) else 0  # type: ignore[return-value]


def check_call(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse a ``str`` method call whose result would pass a bound."""
    method = getattr(obj, "__wrapped__", obj)  # the sandbox wraps str.format at access
    owner = getattr(method, "__self__", None)
    if not isinstance(owner, str):
        return
    name = getattr(method, "__name__", "")
    first = args[0] if args else None
    if name in ("center", "ljust", "rjust", "zfill"):
        _too_long(_width(first if first is not None else kwargs.get("width")), f"str.{name}()")
    elif name == "expandtabs":
        size = _width(first if first is not None else kwargs.get("tabsize", 8))
        _too_long(len(owner) * max(size, 1), "str.expandtabs()")
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], str):
        _check_replace(owner, args[0], str(args[1]))
    elif name == "join" and args:
        _check_join(owner, args[0])
    elif name in ("format", "format_map"):
        _check_format(owner)


def _check_replace(text: str, old: str, new: str) -> None:
    hits = text.count(old) if old else len(text) + 1
    _too_long(len(text) + hits * max(len(new) - len(old), 0), "the replaced text")


def _check_join(separator: str, items: Any) -> None:
    if isinstance(items, (list, tuple)):
        size = sum(len(str(i)) for i in items) + len(separator) * max(len(items) - 1, 0)
        _too_long(size, "the joined text")


def bound_environment(env: Any) -> None:
    """Install the checked filters and globals in a sandbox environment."""
    filters = env.filters
    for name, check in (
        ("center", lambda v, width=80, *a, **k: _too_long(_width(width), "center")),
        ("indent", _check_indent),
        ("format", lambda v, *a, **k: _check_percent(str(v))),
        ("join", lambda v, d="", *a, **k: _check_join(str(d), list(v) if _sized(v) else v)),
        ("replace", lambda v, old="", new="", *a, **k: _check_replace(str(v), str(old), str(new))),
    ):
        filters[name] = _checked(filters[name], check)
    lipsum = env.globals["lipsum"]

    def bounded_lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
        if not (_is_int(n) and _is_int(min) and _is_int(max)) or n > MAX_LIPSUM or max > 100:
            raise SecurityError(f"lipsum is limited to {MAX_LIPSUM} paragraphs of 100 words")
        return str(lipsum(n, html, min, max))

    env.globals["lipsum"] = bounded_lipsum
    env.globals[TICK] = _tick
    env.globals[CONCAT] = _concat


def _sized(value: object) -> bool:
    return isinstance(value, (list, tuple, range))


def _check_indent(value: Any, width: Any = 4, *args: Any, **kwargs: Any) -> None:
    size = len(width) if isinstance(width, str) else _width(width)
    text = str(value)
    _too_long(len(text) + (text.count("\n") + 1) * size, "the indented text")


def _checked(original: Callable[..., Any], check: Callable[..., None]) -> Callable[..., Any]:
    passed = getattr(original, "jinja_pass_arg", None)  # @pass_eval_context and the like
    skip = 0 if passed is None else 1

    def checked(*args: Any, **kwargs: Any) -> Any:
        check(*args[skip:], **kwargs)
        return original(*args, **kwargs)

    if passed is not None:
        checked.jinja_pass_arg = passed  # type: ignore[attr-defined]
    return checked


def rewrite(ast: nodes.Template) -> nodes.Template:
    """Route ``~`` through the checked join, and make every loop iteration and macro call a
    step (a call to the tick at the start of its body)."""
    for concat in list(ast.find_all(nodes.Concat)):
        _replace(ast, concat, nodes.Call(nodes.Name(CONCAT, "load"), concat.nodes, [], None, None))
    for block in ast.find_all((nodes.For, nodes.Macro, nodes.CallBlock)):
        tick = nodes.Output([nodes.Call(nodes.Name(TICK, "load"), [], [], None, None)])
        body: list[nodes.Node] = block.body  # type: ignore[attr-defined]  # all three have one
        body.insert(0, tick)
    return ast


def _replace(tree: nodes.Node, old: nodes.Node, new: nodes.Node) -> None:
    for parent in tree.find_all(nodes.Node):
        for name, value in parent.iter_fields():
            if value is old:
                setattr(parent, name, new)
                return
            if isinstance(value, list) and any(item is old for item in value):
                setattr(parent, name, [new if item is old else item for item in value])
                return
