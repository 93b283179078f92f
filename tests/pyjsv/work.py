"""Work counting for the linear-time tests: deterministic, so a loaded machine cannot move it.

The work of a run is the number of lines executed in pyjsv's own code (and in any extra functions
named, such as a test's oracle), plus the characters covered by the scanning primitives of the
reading modules: each module-level compiled regex (search, match, finditer …) and each module's
`_find` hook (`str.find`). A quadratic algorithm shows in one or the other: a Python loop that
revisits text adds lines, a C scan that rescans the rest of the text adds characters.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import CodeType, FrameType, ModuleType
from typing import Any

import pyjsv
import pyjsv._reader
import pyjsv.csv

_PYJSV_DIR = str(Path(pyjsv.__file__).resolve().parent)
_SCANNING_MODULES: tuple[ModuleType, ...] = (pyjsv._reader, pyjsv.csv)

#: 10x the input may cost at most this many times the work. Linear code measures ~10x; a
#: quadratic rescan measures ~100x. The count does not depend on the machine, so the margin
#: only covers fixed per-run costs, not noise.
LINEAR_BOUND = 20


class _Meter:
    def __init__(self, extra_code: frozenset[CodeType]) -> None:
        self.steps = 0
        self._extra = extra_code

    def add(self, n: int) -> None:
        self.steps += max(n, 0) + 1

    def _line(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            self.steps += 1
        return self._line

    def trace(self, frame: FrameType, event: str, arg: Any) -> Any:
        code = frame.f_code
        if code in self._extra or code.co_filename.startswith(_PYJSV_DIR):
            return self._line
        return None

    def find(self, s: str, sub: str, start: int = 0, end: int | None = None) -> int:
        stop = len(s) if end is None else min(end, len(s))
        index = str.find(s, sub, start, stop)
        self.add((stop if index == -1 else index + len(sub)) - start)
        return index


class _MeteredPattern:
    """A compiled regex that adds the characters each call covered to the meter."""

    def __init__(self, pattern: re.Pattern[str], meter: _Meter) -> None:
        self._pattern = pattern
        self._meter = meter

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pattern, name)

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        m = self._pattern.search(string, pos, endpos)
        self._meter.add((m.end() if m else min(endpos, len(string))) - pos)
        return m

    def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        m = self._pattern.match(string, pos, endpos)
        self._meter.add(m.end() - pos if m else 0)
        return m

    def fullmatch(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        m = self._pattern.fullmatch(string, pos, endpos)
        self._meter.add(min(endpos, len(string)) - pos)
        return m

    def finditer(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        last = pos
        for m in self._pattern.finditer(string, pos, endpos):
            self._meter.add(m.end() - last)
            last = m.end()
            yield m
        self._meter.add(min(endpos, len(string)) - last)

    def sub(self, repl: Any, string: str, count: int = 0) -> str:
        self._meter.add(len(string))
        return self._pattern.sub(repl, string, count)


def _metered(value: Any, meter: _Meter) -> Any:
    if isinstance(value, re.Pattern):
        return _MeteredPattern(value, meter)
    owner = getattr(value, "__self__", None)
    if isinstance(owner, re.Pattern):  # a bound method kept at module level (`_X = re.compile(…).search`)
        return getattr(_MeteredPattern(owner, meter), value.__name__)
    return None


def count_work(run: Callable[[], object], *, also: tuple[Callable[..., Any], ...] = ()) -> int:
    """The work `run()` does (see the module docstring); a DecodeError counts as a finished run.
    `also` names functions outside pyjsv whose lines count too."""
    meter = _Meter(frozenset(f.__code__ for f in also))
    saved: list[tuple[ModuleType, str, Any]] = []
    for module in _SCANNING_MODULES:
        for name, value in list(vars(module).items()):
            replacement = meter.find if name == "_find" else _metered(value, meter)
            if replacement is not None:
                saved.append((module, name, value))
                setattr(module, name, replacement)
    previous = sys.gettrace()
    sys.settrace(meter.trace)
    try:
        with contextlib.suppress(pyjsv.DecodeError):
            run()
    finally:
        sys.settrace(previous)
        for module, name, value in saved:
            setattr(module, name, value)
    return meter.steps


def grows_linearly(small: int, large: int) -> bool:
    """Work on 10x the input within LINEAR_BOUND times the work on the input."""
    return large <= small * LINEAR_BOUND
