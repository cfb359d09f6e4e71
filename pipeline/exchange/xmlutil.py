"""XML helpers the exchange formats share: safe parsing, namespaces, writing.

:func:`parse_xml` reads a file a CAT tool wrote without trusting it (no DTD,
no entities, no network, no huge trees); :func:`clean`, :func:`append_text`,
:func:`indent` and :func:`to_bytes` write deterministic documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from ..errors import ExchangeError, PipelineError

__all__ = [
    "INVALID_XML",
    "SCHEMA_DIR",
    "XML_LANG",
    "XML_NS",
    "XML_SPACE",
    "append_text",
    "clean",
    "indent",
    "language",
    "parse_untrusted",
    "parse_xml",
    "to_bytes",
]

XML_NS = "http://www.w3.org/XML/1998/namespace"
"""The ``xml:`` namespace."""

XML_LANG = f"{{{XML_NS}}}lang"
"""Qualified name of ``xml:lang``."""

XML_SPACE = f"{{{XML_NS}}}space"
"""Qualified name of ``xml:space``."""

SCHEMA_DIR = Path(__file__).parent.parent / "schemas"
"""pipeline's XLIFF 2.1 and TMX 1.4 profiles (and, in ``official/``, the OASIS
and LISA files when installed)."""

INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""One character XML 1.0 cannot hold (control characters, lone surrogates…)."""

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


# --------------------------------------------------------------------------- writing


def clean(text: str) -> str:
    """``text`` with every character XML cannot hold replaced by U+FFFD."""
    return INVALID_XML.sub("\ufffd", text)


def append_text(parent: etree._Element, text: str) -> None:
    """Append ``text`` to ``parent``'s content, after its last child (as is:
    :func:`clean` it first unless it is known to be valid)."""
    if not text:
        return
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def indent(
    element: etree._Element, structural: Callable[[etree._Element], bool], level: int = 0
) -> None:
    """Indent, two spaces a level, the children of every element for which
    ``structural`` is true (never inside the others: their content is text)."""
    if not structural(element) or not len(element):
        return
    inner = "\n" + "  " * (level + 1)
    element.text = inner
    for child in element:
        indent(child, structural, level + 1)
        child.tail = inner
    element[-1].tail = "\n" + "  " * level


def to_bytes(root: etree._Element, doctype: str | None = None) -> bytes:
    """A document as UTF-8 bytes: the XML declaration, ``doctype`` (if any),
    the root element and a final newline, each on its own line."""
    head = _XML_DECLARATION + (doctype.encode("ascii") + b"\n" if doctype else b"")
    return head + etree.tostring(root, encoding="UTF-8", xml_declaration=False) + b"\n"


def language(code: str) -> str:
    """A language code as XML wants it (``es_ES`` → ``es-ES``)."""
    return code.strip().replace("_", "-")


# --------------------------------------------------------------------------- reading


def _dtd_refused(path: Path, what: str, line: int | None) -> ExchangeError:
    return ExchangeError(
        "the file has a document type declaration (DTD), which is refused",
        path=path,
        line=line,
        hint=f"remove the <!DOCTYPE …> declaration; {what} needs none",
    )


def parse_xml(data: bytes, path: Path, what: str) -> etree._Element:
    """Parse an exchange file safely: no DTD, no entities, no network, no huge trees.

    ``what`` names the format in messages (``XLIFF``). Raises
    :class:`~pipeline.errors.ExchangeError` (with the line) for anything else
    than a well-formed XML document without a document type declaration.
    """
    hint = f"give the {what} file exactly as the CAT tool wrote it"
    doctype = _DOCTYPE.search(data)
    if doctype:
        raise _dtd_refused(path, what, data[: doctype.start()].count(b"\n") + 1)
    return parse_untrusted(data, path, what=what, hint=hint, doctype=False)


def parse_untrusted(
    data: bytes,
    path: Path,
    *,
    what: str,
    hint: str,
    error: type[PipelineError] = ExchangeError,
    malformed: str = "not well-formed XML",
    remove_comments: bool = False,
    doctype: bool = True,
) -> etree._Element:
    """Parse an XML file someone else wrote without trusting it: no DTD loaded,
    no entity resolved, no network, no huge trees. With ``doctype``, a
    ``<!DOCTYPE …>`` naming an external DTD is tolerated (never read) and one
    with declarations of its own (an internal subset) is refused; without, any
    is refused. Errors are ``error`` (with the line), the message starting with
    ``malformed``; ``what`` names the format."""
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_pis=True,
        remove_comments=remove_comments,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise error(
            f"{malformed}: {exc.msg}", path=path, line=exc.lineno or None, hint=hint
        ) from None
    except ValueError as exc:  # e.g. a str with an encoding declaration
        raise error(f"not an XML file: {exc}", path=path, hint=hint) from None
    docinfo = root.getroottree().docinfo
    declared = docinfo.internalDTD is not None or docinfo.externalDTD is not None
    if not doctype and (docinfo.doctype or declared):
        raise _dtd_refused(path, what, None)
    subset = docinfo.internalDTD
    if subset is not None and (list(subset.entities()) or list(subset.iterelements())):
        found = _DOCTYPE.search(data)
        raise error(
            f"the {what} file's document type declaration has definitions of its own "
            "(an internal subset), which is refused",
            path=path,
            line=data[: found.start()].count(b"\n") + 1 if found else None,
            hint=f"keep at most an external <!DOCTYPE …> line; a {what} file needs no entities",
        )
    return root
