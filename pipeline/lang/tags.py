"""Language tags (BCP 47 ``pt-BR``, POSIX ``pt_BR.UTF-8``): the one place that parses them."""

from __future__ import annotations

import re

__all__ = ["normalize", "primary", "region", "same_language"]

_SEPARATORS = re.compile(r"[-_@.]")


def primary(tag: str) -> str:
    """Primary language subtag, lower case: ``es_ES`` → ``es``, ``pt-BR`` → ``pt``."""
    return _SEPARATORS.split(tag.strip(), maxsplit=1)[0].lower()


def normalize(tag: str) -> str:
    """A tag in BCP 47 form: ``pt_br.UTF-8`` → ``pt-BR``, ``ES`` → ``es``,
    ``zh_hant_tw`` → ``zh-Hant-TW``. Encoding (``.UTF-8``) and modifier
    (``@latin``) of a POSIX locale are dropped."""
    bare = re.split(r"[.@]", tag.strip(), maxsplit=1)[0]
    parts = [p for p in bare.replace("_", "-").split("-") if p]
    if not parts:
        return ""
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 2 and part.isalpha():
            out.append(part.upper())  # region
        elif len(part) == 4 and part.isalpha():
            out.append(part.title())  # script
        else:
            out.append(part.lower())
    return "-".join(out)


def region(tag: str) -> str:
    """The region subtag, upper case (``pt-BR`` → ``BR``, ``es-419`` → ``419``), or ``""``."""
    for part in normalize(tag).split("-")[1:]:
        if (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit()):
            return part.upper()
    return ""


def same_language(a: str, b: str) -> bool:
    """Whether two tags name the same language: ``es``, ``es-ES`` and ``es_ES``
    agree with ``es``; ``es-ES`` and ``es-MX`` do not."""
    x, y = normalize(a).lower(), normalize(b).lower()
    if x == y:
        return True
    return primary(x) == primary(y) and ("-" not in x or "-" not in y)
