"""The languages "Add ServiceStack Reference" speaks: name, label and generator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .csharp_types import generate_csharp
from .model import TypeModel
from .options import TypesOptions
from .python_types import generate_python
from .typescript_types import generate_typescript

__all__ = ["LANGUAGES", "Language"]


@dataclass(frozen=True)
class Language:
    name: str
    label: str
    generate: Callable[[TypeModel, TypesOptions], str]


#: In the order ServiceStack's metadata pages list them.
LANGUAGES: dict[str, Language] = {
    lang.name: lang
    for lang in (
        Language("csharp", "C#", generate_csharp),
        Language("typescript", "TypeScript", generate_typescript),
        Language("python", "Python", generate_python),
    )
}
