"""HTML for the self-contained reports: the Jinja2 templates (``sim/outputs/templates``), numbers in words,
figures embedded as base64 PNG and quoted Markdown (markdown-it-py). Nothing here knows what a run is.

Every value a template prints is escaped, and any URL scheme in it is broken (``https:&#47;&#47;``), so a report
never refers to a network resource whatever a scenario's text holds; only :class:`markupsafe.Markup` made here
(quoted Markdown, embedded figures) goes in as it is.
"""

from __future__ import annotations

import base64
import html
import io
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markdown_it import MarkdownIt
from markupsafe import Markup

from sim.analysis.statistics import is_share
from sim.experiment.owned_files import ledger, write_atomically

TEMPLATES = Path(__file__).resolve().parent / "templates"
FIGURE_DPI = 90
"""Resolution of embedded figures: sharp on a screen, a report of a few megabytes."""
QUOTED_HEADING_SHIFT = 2
"""A quoted document's "# Title" becomes an h3: it sits inside a section of the report."""
DEEPEST_HEADING = 6


# ---------------------------------------------------------------------------------------------- small helpers
def escape(value: Any) -> str:
    """Escape for HTML, and break any URL scheme so the file never refers to a network resource."""
    return html.escape(str(value)).replace("://", ":&#47;&#47;")


def _numeric(value: Any) -> float | str:
    """The value as a number, or the text to show instead: itself when it is not a number, a dash when missing."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    return "–" if math.isnan(x) else x


def number(value: Any, digits: int = 1) -> str:
    """A number as a reader wants it: thousands without decimals, a dash for a missing value."""
    x = _numeric(value)
    if isinstance(x, str):
        return x
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}"


POUNDS_IN_MILLIONS = 1e6
"""Amounts of pounds at least this large are shown in millions (£12.3m), smaller ones whole (£697)."""


def pounds(value: Any) -> str:
    """An amount of pounds for a reader: £12.3m, £697, -£1.2m."""
    x = _numeric(value)
    if isinstance(x, str):
        return x
    sign = "-" if x < 0 else ""
    if abs(x) >= POUNDS_IN_MILLIONS:
        return f"{sign}£{abs(x) / POUNDS_IN_MILLIONS:,.1f}m"
    return f"{sign}£{abs(x):,.0f}"


def format_value(indicator: str, value: Any) -> str:
    """A value in its indicator's unit: shares as percentages, pounds as pounds, counts whole."""
    if "_gbp" in indicator:
        return pounds(value)
    if is_share(indicator):
        try:
            x = float(value)
        except (TypeError, ValueError):
            return str(value)
        return "–" if math.isnan(x) else f"{x:.1%}"
    return number(value, 0 if indicator.endswith("_count") else 1)


def words(name: Any) -> str:
    """A column or group name in words (``private_law`` -> ``private law``, booleans as yes/no)."""
    text = str(name)
    if "/" in text:  # a crossed breakdown or group, e.g. case_type/domestic_abuse, private_law/true
        return " / ".join(words(part) for part in text.split("/"))
    if text in ("true", "True"):
        return "yes"
    if text in ("false", "False"):
        return "no"
    return text.replace("_", " ")


def anchor(text: str) -> str:
    """An id for a section heading, from its title (the table of contents links to it inside the file)."""
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


@dataclass(frozen=True)
class Embedded:
    """A figure as the templates show it: a caption and the PNG's base64 text."""

    caption: str
    png_base64: str


def embed(fig: Any, caption: str) -> Embedded:
    """A matplotlib figure as an embedded base64 PNG with a caption (the figure is closed)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight")
    plt.close(fig)
    return Embedded(caption, base64.b64encode(buffer.getvalue()).decode("ascii"))


# ---------------------------------------------------------------------------------------------- markdown (quoted docs)
def _no_link(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    return ""  # a link becomes its text: the report refers to nothing outside itself


@cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("table").disable("image")
    md.add_render_rule("link_open", _no_link)
    md.add_render_rule("link_close", _no_link)
    return md


def markdown_to_html(text: str) -> Markup:
    """A project document quoted in a report: CommonMark with tables, raw HTML, images and links left out,
    headings moved down under the report's own."""
    md = _markdown()
    tokens = md.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(DEEPEST_HEADING, int(token.tag[1:]) + QUOTED_HEADING_SHIFT)}"
    rendered = md.renderer.render(tokens, md.options, {})
    return Markup(rendered.replace("://", ":&#47;&#47;"))


# ---------------------------------------------------------------------------------------------- templates
def _finalize(value: Any) -> Any:
    """Every printed value escaped with URL schemes broken; Markup made here passes as it is."""
    if isinstance(value, Markup):
        return value
    return Markup(escape("" if value is None else value))


@cache
def environment() -> Environment:
    """The one Jinja2 environment of the reports, with the filters the templates use."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        finalize=_finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(number=number, value=format_value, words=words, anchor=anchor)
    return env


def render(template: str, **context: Any) -> str:
    """A template of ``sim/outputs/templates`` rendered with ``context``."""
    return environment().get_template(template).render(**context)


def write_page(directory: str | Path, name: str, text: str) -> Path:
    """Write DIR/NAME atomically, listed in the folder's manifest (so --force removes it); return its path."""
    path = Path(directory) / name
    with ledger(directory, strict=False, owner=False):
        write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path
