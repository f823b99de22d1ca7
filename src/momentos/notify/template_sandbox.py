"""The checked sandbox that renders organizations' templates under a budget.

Organizations write their notification texts in Jinja (``notify.render``); previews, saving and the worker's
delivery all render them through :func:`render_budgeted`, one environment per budget (:func:`budgeted_environment`).
A template is refused (:class:`TemplateTooCostly`, 422 ``template_too_costly``, ``detail.budget`` names the budget)
when it would exceed any of:

- ``output``: characters produced by the whole rendering (and by any macro, ``{% set %}`` or ``{% filter %}`` block);
- ``iterations``: loop iterations and items drawn from lazy filters, counted together across nesting;
- ``size``: characters inside one string or list produced by an operator (``*``, ``+``, ``~``, ``%``, ``**``), a
  filter (``join``, ``center``, ``format``, ``wordwrap``, ``replace``, ``indent``…) or a method call; checked
  *before* the value is built when it can be estimated, so nothing large is ever allocated;
- ``items``: elements of one list (``range``, ``list``, ``split``…);
- ``seconds``: wall-clock time, checked from every hook (operators, calls, attribute access, loop steps, output).

``{% include %}``, ``{% import %}``, ``{% from %}`` and ``{% extends %}`` are refused when the template is parsed
(:class:`TemplateTagForbidden`, 400 ``template_tag_forbidden``): there is no loader. The environment is the
immutable sandbox (no ``append`` or ``update`` on lists and dicts), so values only grow through the checked hooks.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, Template, Undefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace

from momentos.config import NotifySettings
from momentos.errors import BadRequest, ValidationFailed

MAX_INT_BITS = 4096
"""Integers a template computes stay below 2**4096 (a larger ``**`` or ``*`` is refused before it runs)."""
WIDTH_FILTERS = frozenset({"center", "indent", "wordwrap", "truncate", "batch", "slice"})
WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
"""Filters and string methods whose integer arguments are widths or counts: above the size budget, refused."""
FORBIDDEN_TAGS: Mapping[type[nodes.Node], str] = {
    nodes.Include: "include", nodes.Import: "import", nodes.FromImport: "import", nodes.Extends: "extends"}


@dataclass(frozen=True)
class TemplateBudget:
    """What one rendering may cost (see the module docstring); defaults match ``NotifySettings``."""

    output: int = 100_000
    iterations: int = 10_000
    size: int = 100_000
    items: int = 10_000
    seconds: float = 1.0

    @classmethod
    def of(cls, settings: NotifySettings) -> TemplateBudget:
        return cls(output=settings.template_max_output, iterations=settings.template_max_iterations,
                   size=settings.template_max_size, items=settings.template_max_items,
                   seconds=settings.template_seconds)


class TemplateTooCostly(ValidationFailed):
    code = "template_too_costly"

    def __init__(self, budget: str, limit: float) -> None:
        super().__init__(f"The template exceeds its budget ({budget}: {limit}).",
                         detail={"budget": budget, "limit": limit})


class TemplateTagForbidden(BadRequest):
    code = "template_tag_forbidden"

    def __init__(self, tag: str) -> None:
        super().__init__(f"Templates may not use {{% {tag} %}}.", detail={"tag": tag})


class _Meter:
    """The running costs of one rendering."""

    __slots__ = ("budget", "deadline", "iterations")

    def __init__(self, budget: TemplateBudget) -> None:
        self.budget = budget
        self.deadline = time.monotonic() + budget.seconds
        self.iterations = 0

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateTooCostly("seconds", self.budget.seconds)

    def step(self) -> None:
        self.iterations += 1
        if self.iterations > self.budget.iterations:
            raise TemplateTooCostly("iterations", self.budget.iterations)
        self.tick()


_METER: ContextVar[_Meter | None] = ContextVar("momentos_template_meter", default=None)


def weight(value: Any, limit: int) -> int:
    """Characters inside ``value`` (strings; one per other element), counted without recursion and only up to
    just past ``limit``."""
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, list | tuple | set | frozenset):
            total += 1
            stack.extend(item)
        elif isinstance(item, dict):
            total += 1
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, Namespace):
            total += 1
            stack.extend(item._Namespace__attrs.values())
        else:
            total += 1
    return total


class _Counted(Iterator[Any]):
    """An iterator whose every item is one step of the rendering's iteration budget."""

    def __init__(self, meter: _Meter, iterable: Iterable[Any]) -> None:
        self.meter, self.inner = meter, iter(iterable)

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        item = next(self.inner)
        self.meter.step()
        return item


@contextmanager
def one_budget(budget: TemplateBudget) -> Iterator[None]:
    """Renderings inside share one budget (the subject, text and HTML of one message: one deadline, one count of
    iterations), unless an outer ``one_budget`` is already running."""
    if _METER.get() is not None:
        yield
        return
    token = _METER.set(_Meter(budget))
    try:
        yield
    finally:
        _METER.reset(token)


_SLOTS: dict[int, threading.Semaphore] = {}
_SLOTS_LOCK = threading.Lock()


@contextmanager
def organization_slot(org_id: int | None) -> Iterator[None]:
    """One rendering at a time per organization in this process, waited for within the running budget's deadline
    (refused with ``seconds`` when it passes). Renderings are CPU work under Python's GIL: four costly ones of one
    organization would otherwise share the interpreter with every other organization's requests for their whole
    budget; this way one organization costs at most one rendering thread. Use inside :func:`one_budget`."""
    meter = _METER.get()
    if org_id is None or meter is None:
        yield
        return
    with _SLOTS_LOCK:
        slot = _SLOTS.setdefault(org_id, threading.Semaphore(1))
    if not slot.acquire(timeout=max(0.0, meter.deadline - time.monotonic())):
        raise TemplateTooCostly("seconds", meter.budget.seconds)
    try:
        yield
    finally:
        slot.release()


class BudgetedTemplate(Template):
    """A template whose :meth:`render` runs under its environment's budget (shared with the other renderings of a
    :func:`one_budget` block)."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        environment = self.environment
        assert isinstance(environment, BudgetedEnvironment)
        with one_budget(environment.budget):
            return super().render(*args, **kwargs)


class BudgetedCodeGenerator(CodeGenerator):
    """``a ~ b`` goes through :meth:`BudgetedEnvironment.budget_join` (checked before the string is built)."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        else:
            join = "markup_join" if frame.eval_ctx.autoescape else "str_join"
        self.write(f"environment.budget_join({join}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


_FORMAT_NUMBER = re.compile(r"%[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?|\{[^{}]*:[^{}]*?(\d+)")


class BudgetedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox with the checks of the module docstring. Build it with :func:`budgeted_environment`."""

    intercepted_binops = frozenset({"*", "+", "**", "%"})
    code_generator_class = BudgetedCodeGenerator
    template_class = BudgetedTemplate

    def __init__(self, budget: TemplateBudget, **options: Any) -> None:
        super().__init__(**options)
        self.budget = budget
        self.globals.pop("lipsum", None)
        self.globals["range"] = self._range
        self.filters = {name: self._budgeted_filter(name, f) for name, f in self.filters.items()}

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Refuse the tags that would need a loader; route every loop's iterable through :meth:`budget_iter`."""
        tree = super()._parse(source, name, filename)
        for node in tree.find_all(tuple(FORBIDDEN_TAGS)):
            raise TemplateTagForbidden(FORBIDDEN_TAGS[type(node)])
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Call(nodes.EnvironmentAttribute("budget_iter"), [loop.iter], [], None, None,
                                   lineno=loop.lineno)
        return tree

    # -- the meter -----------------------------------------------------------------------------------------------

    def _meter(self) -> _Meter:
        meter = _METER.get()
        # outside a rendering (constant folding while compiling): a meter for this one check, never kept
        return meter if meter is not None else _Meter(self.budget)

    def _check_size(self, value: Any) -> Any:
        """Refuse a produced value above the size or item budget; lazy iterables count their items as steps."""
        budget = self.budget
        if isinstance(value, str):
            if len(value) > budget.size:
                raise TemplateTooCostly("size", budget.size)
        elif isinstance(value, list | tuple | dict | set | frozenset | range):
            if len(value) > budget.items:
                raise TemplateTooCostly("items", budget.items)
            if not isinstance(value, range) and weight(value, budget.size) > budget.size:
                raise TemplateTooCostly("size", budget.size)
        elif isinstance(value, Iterator) and not isinstance(value, _Counted):
            return _Counted(self._meter(), value)
        return value

    def _refuse_above(self, estimate: int) -> None:
        if estimate > self.budget.size:
            raise TemplateTooCostly("size", self.budget.size)

    def _check_ints(self, args: Iterable[Any]) -> None:
        """Widths and counts (``center(10**9)``, ``'x'.ljust(…)``) above the size budget are refused up front."""
        for arg in args:
            if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > self.budget.size:
                raise TemplateTooCostly("size", self.budget.size)

    def _check_format(self, spec: str, args: Any) -> None:
        """``'%0999999d' % 1``, ``'{:>999999}'.format(…)`` and ``'%*d'`` widths are refused up front."""
        for match in _FORMAT_NUMBER.finditer(spec):
            for number in match.groups():
                if number == "*":
                    raise TemplateTooCostly("size", self.budget.size)
                if number is not None and (len(number) > 12 or int(number) > self.budget.size):
                    raise TemplateTooCostly("size", self.budget.size)
        if re.search(r"\{[^{}]*\{", spec):  # nested replacement fields take widths from the arguments
            self._check_ints(args.values() if isinstance(args, Mapping) else
                             args if isinstance(args, tuple | list) else (args,))

    # -- the sandbox's hooks -------------------------------------------------------------------------------------

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        self._meter().tick()
        size = self.budget.size
        sequences: tuple[type, ...] = (str, list, tuple)
        if operator == "*":
            if isinstance(left, int) and isinstance(right, sequences):
                left, right = right, left
            if isinstance(left, sequences) and isinstance(right, int):
                self._refuse_above(weight(left, size) * max(right, 0))
                if isinstance(left, list | tuple) and len(left) * max(right, 0) > self.budget.items:
                    raise TemplateTooCostly("items", self.budget.items)
            elif isinstance(left, int) and isinstance(right, int) and \
                    abs(left).bit_length() + abs(right).bit_length() > MAX_INT_BITS:
                raise TemplateTooCostly("size", MAX_INT_BITS)
        elif operator == "+" and isinstance(left, sequences) and isinstance(right, sequences):
            self._refuse_above(weight(left, size) + weight(right, size))
        elif operator == "**" and isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and \
                right > 0 and right * abs(left).bit_length() > MAX_INT_BITS:
            raise TemplateTooCostly("size", MAX_INT_BITS)
        elif operator == "%" and isinstance(left, str):
            self._check_format(left, right)
        return self._check_size(super().call_binop(context, operator, left, right))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        __self._meter().tick()
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            args = __self._check_str_method(owner, getattr(__obj, "__name__", ""), args, kwargs)
        return __self._check_size(super().call(__context, __obj, *args, **kwargs))

    def _check_str_method(self, text: str, name: str, args: tuple[Any, ...],
                          kwargs: dict[str, Any]) -> tuple[Any, ...]:
        size = self.budget.size
        if name in WIDTH_METHODS:
            self._check_ints((*args, *kwargs.values()))
        if name == "join" and args:
            items = list(self._check_size(args[0]) if isinstance(args[0], Iterator) else args[0])
            self._refuse_above(weight(items, size) + len(text) * len(items))
            return (items, *args[1:])
        if name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
            found = len(text) + 1 if not args[0] else text.count(args[0])
            self._refuse_above(len(text) + found * len(args[1]))
        elif name == "expandtabs":
            width = args[0] if args and isinstance(args[0], int) else 8
            self._refuse_above(len(text) + text.count("\t") * width)
        return args

    def getattr(self, obj: Any, attribute: str) -> Any:
        self._meter().tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        self._meter().tick()
        return super().getitem(obj, argument)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``'…'.format(…)`` and ``format_map``: widths in the spec (or taken from the arguments) are checked
        before formatting, the result after."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        spec: str = value.__self__

        def checked(*args: Any, **kwargs: Any) -> str:
            self._meter().tick()
            self._check_format(spec, {**dict(enumerate(args)), **kwargs} if value.__name__ == "format" else
                           args[0] if args and isinstance(args[0], Mapping) else {})
            return str(self._check_size(wrapped(*args, **kwargs)))

        return checked

    def concat(self, parts: Iterable[str]) -> str:
        """The output of the rendering (and of each macro and block): refused past the output budget."""
        meter, limit, total, kept = self._meter(), self.budget.output, 0, []
        for part in parts:
            total += len(part)
            if total > limit:
                raise TemplateTooCostly("output", limit)
            meter.tick()
            kept.append(part)
        return "".join(kept)

    def budget_join(self, join: Callable[[Iterable[Any]], str], parts: tuple[Any, ...]) -> str:
        """``a ~ b ~ …``: the joined size is checked before the string is built."""
        self._meter().tick()
        self._refuse_above(sum(weight(part, self.budget.size) for part in parts))
        return join(parts)

    def budget_iter(self, iterable: Any) -> Iterator[Any]:
        """The iterable of every ``{% for %}``: each iteration is a step of the budget."""
        if isinstance(iterable, Undefined):
            iterable = iter(iterable)
        return iterable if isinstance(iterable, _Counted) else _Counted(self._meter(), iterable)

    def _range(self, *args: int) -> range:
        values = range(*args)
        if len(values) > self.budget.items:
            raise TemplateTooCostly("items", self.budget.items)
        return values

    # -- filters -------------------------------------------------------------------------------------------------

    def _budgeted_filter(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def checked(*args: Any, **kwargs: Any) -> Any:
            self._meter().tick()
            self._estimate_filter(name, args, kwargs)
            return self._check_size(fn(*args, **kwargs))

        return checked

    def _estimate_filter(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Refuse before running a filter whose result would be too large. ``args`` may start with the context or
        environment (``pass_context`` filters); the value is the first string or sequence argument."""
        size = self.budget.size
        values = [a for a in args if not isinstance(a, Context | BudgetedEnvironment)]
        if not values:
            return
        value, rest = values[0], values[1:]
        if name in WIDTH_FILTERS:
            self._check_ints((*rest, *kwargs.values()))
        if name == "join":
            separator = rest[0] if rest else kwargs.get("d", "")
            items = value if isinstance(value, list | tuple) else None
            if items is not None:
                self._refuse_above(weight(items, size) + len(str(separator)) * len(items))
        elif name == "replace" and len(rest) >= 2:
            text, old, new = str(value), str(rest[0]), str(rest[1])
            found = len(text) + 1 if not old else text.count(old)
            self._refuse_above(len(text) + found * len(new))
        elif name == "indent":
            width = rest[0] if rest else kwargs.get("width", 4)
            text = str(value)
            self._refuse_above(len(text) + (text.count("\n") + 1) * len(str(width) if isinstance(width, str)
                                                                        else " " * min(int(width), size + 1)))
        elif name == "wordwrap":
            text = str(value)
            width = int(rest[0] if rest else kwargs.get("width", 79)) or 1
            wrap = rest[2] if len(rest) > 2 else kwargs.get("wrapstring") or "\n"
            self._refuse_above(len(text) + (len(text) // max(width, 1) + 1) * len(str(wrap)))
        elif name == "format" and isinstance(value, str):
            self._check_format(value, tuple(rest) or kwargs)
        elif name == "center":
            self._refuse_above(int(rest[0] if rest else kwargs.get("width", 80)))


@functools.cache
def budgeted_environment(budget: TemplateBudget, *, html: bool, strict: bool) -> BudgetedEnvironment:
    """The one environment of organizations' templates for a budget (HTML bodies autoescaped; ``strict``: unknown
    variables are errors, for checking a template when it is saved or previewed)."""
    return BudgetedEnvironment(budget, autoescape=html, undefined=StrictUndefined if strict else Undefined,
                               keep_trailing_newline=True, trim_blocks=True)


def render_budgeted(budget: TemplateBudget, source: str, context: Mapping[str, Any], *, html: bool = False,
                    strict: bool = False) -> str:
    """Parse and render ``source`` under ``budget``. Raises :class:`TemplateTooCostly`,
    :class:`TemplateTagForbidden`, or Jinja's and Python's own errors for a template that is not valid."""
    return budgeted_environment(budget, html=html, strict=strict).from_string(source).render(context)
