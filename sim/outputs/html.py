"""HTML building blocks for the self-contained reports: escaping, numbers, tables, embedded figures and quoted
Markdown, and the one style sheet. Nothing here knows what a run is.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from typing import Any

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; margin: 2em auto; max-width: 1100px;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { border-bottom: 2px solid #444; padding-bottom: .2em; }
h2 { border-bottom: 1px solid #bbb; margin-top: 2em; }
table { border-collapse: collapse; margin: .8em 0; font-size: 90%; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 90%; color: #444; }
code { background: #f4f4f4; padding: 0 .2em; }
.note { background: #fff8e0; border-left: 4px solid #e0b000; padding: .5em 1em; }
details { margin: .8em 0; }
summary { cursor: pointer; font-weight: 600; }
"""


# ---------------------------------------------------------------------------------------------- small helpers
def escape(value: Any) -> str:
    """Escape for HTML, and break any URL scheme so the file never refers to a network resource."""
    return html.escape(str(value)).replace("://", ":&#47;&#47;")


def number(value: Any, digits: int = 1) -> str:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return escape(value)
    if math.isnan(x):
        return "–"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}"


def format_value(indicator: str, value: Any) -> str:
    if indicator.endswith("_share") or indicator.startswith("share_"):
        try:
            x = float(value)
        except (TypeError, ValueError):
            return escape(value)
        return "–" if math.isnan(x) else f"{x:.1%}"
    return number(value, 0 if indicator.endswith("_count") else 1)


def html_table(header: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(f"<td class='num'>{c}</td>" if i in numeric else f"<td>{c}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def words(name: Any) -> str:
    text = str(name)
    if text in ("true", "True"):
        return "yes"
    if text in ("false", "False"):
        return "no"
    return text.replace("_", " ")


def figure_html(fig: Any, caption: str) -> str:
    """A matplotlib figure as an embedded base64 PNG with a caption (the figure is closed)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f"<figure><img alt='{escape(caption)}' src='data:image/png;base64,{data}'>"
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


# ---------------------------------------------------------------------------------------------- markdown (quoted docs)
def _inline(text: str) -> str:
    out = escape(text)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)
    out = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", out)  # links become their text
    return out


def markdown_to_html(text: str) -> str:
    """Just enough Markdown for the project's docs: headings, paragraphs, lists, tables, code, bold."""
    lines = text.splitlines()
    out: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    ordered = False
    table: list[list[str]] = []

    def flush() -> None:
        nonlocal paragraph, items, table
        if paragraph:
            out.append(f"<p>{_inline(' '.join(paragraph))}</p>")
            paragraph = []
        if items:
            tag = "ol" if ordered else "ul"
            out.append(f"<{tag}>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + f"</{tag}>")
            items = []
        if table:
            header, *body = table
            body = [r for r in body if not all(re.fullmatch(r":?-{3,}:?", c.strip()) for c in r)]
            out.append(
                "<table><thead><tr>"
                + "".join(f"<th>{_inline(c)}</th>" for c in header)
                + "</tr></thead><tbody>"
                + "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in body)
                + "</tbody></table>"
            )
            table = []

    for line in lines:
        stripped = line.strip()
        heading = re.match(r"^(#{1,4})\s+(.*)", stripped)
        bullet = re.match(r"^(?:[-*]|(\d+)\.)\s+(.*)", stripped)
        if not stripped:
            flush()
        elif heading:
            flush()
            level = min(6, len(heading.group(1)) + 2)
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif stripped.startswith("|"):
            if paragraph or items:
                flush()
            table.append([c.strip() for c in stripped.strip("|").split("|")])
        elif bullet and not line.startswith("    "):
            if paragraph or table:
                flush()
            ordered = bullet.group(1) is not None
            items.append(bullet.group(2))
        elif items and line.startswith(" "):
            items[-1] += " " + stripped
        else:
            if table:
                flush()
            paragraph.append(stripped)
    flush()
    return "\n".join(out)
