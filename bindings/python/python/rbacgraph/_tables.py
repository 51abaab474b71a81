"""Tables for people and for pandas: HTML rendering and DataFrame building.

Results describe themselves as rows (``_rows()``, one dict per row with the
columns of ``_COLUMNS``); this module only lays those rows out. Every value
that reaches HTML goes through :func:`html.escape`: names in manifests are
untrusted input.
"""

from __future__ import annotations

import html
import importlib
from typing import Any, Dict, Iterable, List, Optional, Sequence

Row = Dict[str, Any]


def cell(value: Any) -> str:
    """A value as table text: ``None`` empty, sequences comma-joined."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(v) for v in value)
    return str(value)


def html_table(
    columns: Sequence[str],
    rows: Iterable[Row],
    *,
    caption: Optional[str] = None,
    footer: Sequence[str] = (),
) -> str:
    """An HTML table of ``rows`` (escaped), with an optional caption and
    footer lines (errors, notes)."""
    out: List[str] = ['<table class="rbacgraph">']
    if caption is not None:
        out.append(f"<caption>{html.escape(caption)}</caption>")
    out.append(
        "<thead><tr>"
        + "".join(f"<th>{html.escape(c)}</th>" for c in columns)
        + "</tr></thead>"
    )
    out.append("<tbody>")
    for row in rows:
        out.append(
            "<tr>"
            + "".join(f"<td>{html.escape(cell(row.get(c)))}</td>" for c in columns)
            + "</tr>"
        )
    out.append("</tbody></table>")
    for line in footer:
        out.append(f"<p>{html.escape(line)}</p>")
    return "\n".join(out)


def import_optional(module: str, extra: str) -> Any:
    """Imports an optional dependency, or says how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(
            f"this needs {module}: pip install {module} "
            f"(or pip install './bindings/python[{extra}]')"
        ) from e


def data_frame(columns: Sequence[str], rows: List[Row]) -> Any:
    """A pandas DataFrame with exactly ``columns``, in order."""
    pandas = import_optional("pandas", "pandas")
    return pandas.DataFrame(rows, columns=list(columns))
