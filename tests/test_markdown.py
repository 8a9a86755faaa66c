"""Escaping household text for Markdown and HTML (issue #14), checked against an independent
renderer: markdown-it-py with GFM tables, raw HTML on and linkify on (the most permissive
settings a chat renderer might use)."""
from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from formats.markdown import escape_html, escape_markdown

MD = MarkdownIt("gfm-like", {"linkify": True, "html": True})


def cell(text: str) -> str:
    """The HTML of `text` rendered in the first cell of a two-column table row."""
    return MD.render(f"| a | b |\n|---|---|\n| {escape_markdown(text)} | end |\n")


def cells_of(rendered: str) -> list[str]:
    return re.findall(r"<td>(.*?)</td>", rendered, re.DOTALL)


@pytest.mark.parametrize(
    "text",
    [
        "joint|taxable", "http://evil.example/x", "HTTPS://evil.example", "see www.evil.com", "evil.com", "a@b.co",
        "<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "**bold** _it_ `code` ~~gone~~",
        "[click](http://evil.example)", "![img](http://evil.example/p.png)", "&lt;b&gt;", "# heading", "- item",
        "1. first", "> quote", "line one\nline two | x", "tab\there", "javascript:alert(1)", "back\\slash",
    ],
)
def test_hostile_text_renders_literally_in_one_table_cell(text):
    out = cell(text)
    cells = cells_of(out)
    assert len(cells) == 2 and cells[1] == "end", out  # `|` did not shift the columns
    for tag in ("<a ", "<img", "<script", "<em>", "<strong>", "<code>", "<s>", "<del>"):
        assert tag not in cells[0], out
    shown = html.unescape(cells[0])
    assert shown == re.sub(r"[\x00-\x1f]+", " ", text).strip()


def test_plain_ids_and_tickers_read_the_same():
    for text in ("joint-taxable", "VTI", "BRK.B", "Rivera household", "alex-ira"):
        assert html.unescape(cells_of(cell(text))[0]) == text


def test_escaped_paragraph_keeps_its_text():
    out = MD.render(escape_markdown("# Smith <b>family</b> — www.smith.example"))
    assert out == "<p># Smith &lt;b&gt;family&lt;/b&gt; — www.smith.example</p>\n"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs", "Cc")), max_size=60))
def test_any_text_stays_one_literal_cell(text):
    out = cell(text)
    cells = cells_of(out)
    assert len(cells) == 2 and cells[1] == "end", (text, out)
    assert "<" not in cells[0].replace("&lt;", ""), (text, out)  # no tag of any kind
    expected = re.sub(r"[\x00-\x1f\x7f-\x9f]+", " ", text).strip()
    # markdown-it replaces NUL and folds runs of spaces only at the edges; compare what shows.
    assert html.unescape(cells[0]).replace("\ufffd", " ").strip() == expected.replace("\x00", " ").strip(), (text, out)


def test_escape_html_escapes_markup_and_quotes():
    assert escape_html('<a href="x">O\'Neil & Co</a>\n') == "&lt;a href=&quot;x&quot;&gt;O&#x27;Neil &amp; Co&lt;/a&gt; "
