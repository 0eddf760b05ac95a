"""Whether a rendered report page is fit to publish: no error output, no traceback, no personal
value left unmasked (the publication gate every report and archive passes)."""

from __future__ import annotations

import html
import re

from ..privacy import KINDS, find_personal_at, mask_text


def check_html(page: str, executed) -> list[str]:
    """What makes a page unfit to publish: error outputs, tracebacks, personal values left
    unmasked (each kind named, with where its first one is: the character offset in the page
    and the text before it), ``executed``: the executed notebook's path or node."""
    import nbformat

    problems = []
    nb = (
        executed
        if isinstance(executed, nbformat.NotebookNode)
        else nbformat.read(executed, as_version=4)
    )
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    if errors:
        problems.append(f"{len(errors)} cell(s) produced an error")
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    if "Traceback (most recent call last)" in text:
        problems.append("the page shows a traceback")
    # Images are not text: blanked, so an offset is the page's own.
    scanned = re.sub(r"data:image/[^\"']+", lambda m: " " * len(m.group(0)), page)
    found: dict[str, list[tuple[int, str]]] = {}
    for kind, at, value in find_personal_at(scanned):
        found.setdefault(kind, []).append((at, value))
    for kind, hits in found.items():
        at, value = hits[0]
        before = html.unescape(re.sub(r"<[^>]*>?", " ", scanned[max(0, at - 200) : at]))
        before = mask_text(" ".join(before.split()))[-24:]
        problems.append(
            f"{len(hits)} unmasked {KINDS.get(kind, kind)}(s), e.g. {mask_text(value)}"
            f" at character {at} of the page, after {before!r}"
        )
    return problems
