"""Accept-header parsing for the strict (RFC 9110) negotiator: media ranges with q-values."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MediaRange", "best_range", "parse_accept", "quality", "served_quality"]


@dataclass(frozen=True, slots=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    #: Position in the header, so equal ranks keep the client's order.
    index: int

    @property
    def specificity(self) -> int:
        """`*/*` < `type/*` < `type/subtype` (RFC 9110 §12.5.1: the most specific range applies)."""
        if self.type == "*":
            return 0
        return 1 if self.subtype == "*" else 2

    def matches(self, media_type: str) -> bool:
        main, _, sub = media_type.partition("/")
        return (self.type in ("*", main)) and (self.subtype in ("*", sub))


def _q(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


def parse_accept(values: list[str]) -> list[MediaRange]:
    """Every media range in the Accept header lines, malformed ones dropped."""
    ranges: list[MediaRange] = []
    for value in values:
        for part in value.split(","):
            pieces = part.split(";")
            main, sep, sub = pieces[0].strip().lower().partition("/")
            if not sep or not main or not sub or (main == "*" and sub != "*"):
                continue
            ranges.append(MediaRange(main, sub, _q(pieces[1:]), len(ranges)))
    return ranges


def best_range(ranges: list[MediaRange], media_type: str) -> MediaRange | None:
    """The most specific range matching `media_type` (RFC 9110 §12.5.1), if any does."""
    best: MediaRange | None = None
    for r in ranges:
        if r.matches(media_type) and (best is None or r.specificity > best.specificity):
            best = r
    return best


def quality(ranges: list[MediaRange], media_type: str) -> float:
    """The q the client gives `media_type`: that of the most specific range matching it (0 if none)."""
    best = best_range(ranges, media_type)
    return best.q if best is not None else 0.0


def served_quality(ranges: list[MediaRange], media_type: str, aliases: list[str]) -> float:
    """The q of a response labelled `media_type` whose content the client may also name by an alias.

    The most specific range that matches the label, or that names an alias exactly, gives the q (the
    label wins a tie). So `text/xml, */*;q=0.5` gives XML 1 through its alias, `application/json;q=0`
    refuses JSON even beside `text/*` (a wildcard never reaches an alias), and `text/*` alone gives
    JSON nothing through `text/json`.
    """
    best = best_range(ranges, media_type)
    for alias in aliases:
        for r in ranges:
            if r.specificity == 2 and r.matches(alias) and (best is None or best.specificity < 2):
                best = r
    return best.q if best is not None else 0.0
