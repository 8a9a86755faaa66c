"""Escaping for text that comes from a household file and lands in Markdown or HTML.

A household file is user input: an id with `|` shifts a Markdown table's columns, a name
holding `http://...` or `www.` becomes a live link in the chat, and `<img onerror=...>` is
raw HTML to a Markdown renderer that passes HTML through. Every rendering that shows a name,
id, ticker or asset class from the file passes it through one of these first.
"""
from __future__ import annotations

import html
import re

# CommonMark lets a backslash escape any ASCII punctuation and then shows it literally; these
# are the characters that can start or end a construct (emphasis, code, links, images, HTML,
# tables, strikethrough, entities). `.` `:` `@` are escaped only where they would autolink.
# `_` between two letters or digits ("us_stocks") can neither open nor close emphasis in
# CommonMark, so it stays as it is.
_ALWAYS = re.compile(r"[\\`*\[\]{}()<>|~!&#]|(?<![^\W_])_|_(?![^\W_])")
# GFM autolinks `scheme://`, `www.`, bare domains and e-mail addresses: breaking the punctuation inside
# them with a backslash leaves the text visible but not clickable.
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{1,31}):(?=//)|\b(mailto|javascript|data|vbscript|file):")
# Linkifiers take "www.evil.com" and even bare "evil.com": both need a dot between a word
# character and a letter.
_DOMAIN_DOT = re.compile(r"(?<=\w)\.(?=[^\W\d_])")
_AT = re.compile(r"@")
# A cell or line must stay one line; control characters have no business in a rendering.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# At the start of a line these make a heading, list, quote or ordered list.
_LINE_START = re.compile(r"^(\s*)([-+=>]|\d+(?=[.)]))")


def escape_markdown(text: object) -> str:
    """`text` as literal Markdown (GFM): no emphasis, links, autolinks, HTML or table breaks;
    newlines and control characters become one space. Safe inside a table cell."""
    s = _CONTROL.sub(" ", str(text))
    s = _ALWAYS.sub(lambda m: "\\" + m[0], s)
    s = _SCHEME.sub(lambda m: (m[1] or m[2]) + "\\:", s)
    s = _DOMAIN_DOT.sub(r"\\.", s)
    s = _AT.sub(r"\\@", s)
    return _LINE_START.sub(lambda m: m[1] + ("\\" + m[2] if not m[2].isdigit() else m[2] + "\\"), s)


def escape_html(text: object) -> str:
    """`text` as literal HTML text or attribute value (quotes escaped too); control characters
    become one space."""
    return html.escape(_CONTROL.sub(" ", str(text)), quote=True)


def escape_markdown_lines(text: object) -> str:
    """Like `escape_markdown`, line by line: a multi-line plain text (a reply, a list of problems)
    keeps its line breaks and shows literally."""
    return "\n".join(escape_markdown(line) for line in str(text).split("\n"))


# What escape_markdown puts in front of a character: one backslash before ASCII punctuation.
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def plain_text(markdown: str) -> str:
    """Markdown the app wrote (escaped names inside) as the terminal shows it: the escaping
    backslashes dropped, everything else as written."""
    return _ESCAPED.sub(r"\1", markdown)
