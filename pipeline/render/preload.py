"""What the PDF workers' forkserver (:mod:`pipeline.render.jobs`) imports once,
so that every worker forked from it starts ready: the part layout and WeasyPrint
(about a second and a half of CPU a worker otherwise). A WeasyPrint that cannot
be loaded (a missing Pango) is left for the first layout to report, with its
install hint: the server must not die of it."""

import contextlib

from . import pdf_chapters  # noqa: F401

with contextlib.suppress(ImportError, OSError):
    import weasyprint  # noqa: F401
