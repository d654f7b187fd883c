"""The brief's own HTML parsed fast, into the very tree tinyhtml5 builds from it (issue 18).

WeasyPrint parses HTML with tinyhtml5, a pure-Python HTML5 parser: 0.15-0.2 s of a seed
render and 0.8 s at 300 citations. grader's templates write explicit, well-nested HTML,
for which HTML5's tree construction has nothing to repair, so the standard library's
tokenizer (html.parser) and ElementTree's TreeBuilder build the same tree about five times
faster. `parse` returns None, and the caller uses tinyhtml5, as soon as the HTML uses
anything for which that could be untrue: a tag outside ALLOWED, an end tag that does not
close the element open, table or list parts outside their parents, a block start tag while
a <p> is open, a comment, a NUL, text where HTML5 would move it, an & that does not start
a reference both decode alike, an attribute html.parser reads its own way. The tests
(tests/conftest.py) compare both trees on every brief the test suite builds.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.entities import html5 as html5_entities
from html.parser import HTMLParser

VOID = frozenset({"br", "col", "img", "meta", "link", "wbr", "hr"})
ALLOWED = VOID | frozenset({
    "html", "head", "title", "style", "body", "header", "footer", "section", "article",
    "nav", "main", "aside", "div", "p", "h1", "h2", "h3", "h4", "h5", "h6", "span", "b",
    "i", "em", "strong", "small", "sup", "sub", "code", "a", "table", "caption",
    "colgroup", "thead", "tbody", "tfoot", "tr", "th", "td", "ul", "ol", "li"})
"""The tags the brief's templates write; any other makes `parse` give up."""

CLOSES_P = frozenset({
    "address", "article", "aside", "blockquote", "center", "details", "dialog", "dir",
    "div", "dl", "fieldset", "figcaption", "figure", "footer", "header", "hgroup", "main",
    "menu", "nav", "ol", "p", "search", "section", "summary", "ul", "h1", "h2", "h3", "h4",
    "h5", "h6", "pre", "listing", "form", "plaintext", "table", "hr", "xmp"})
"""Start tags that HTML5 lets close an open <p> (so the tree would differ)."""

CHILDREN = {
    "html": {"head", "body"}, "head": {"meta", "title", "style", "link"},
    "table": {"caption", "colgroup", "thead", "tbody", "tfoot"}, "colgroup": {"col"},
    "thead": {"tr"}, "tbody": {"tr"}, "tfoot": {"tr"}, "tr": {"td", "th"},
    "ul": {"li"}, "ol": {"li"}, "title": set(), "style": set()}
"""Elements whose children HTML5 restricts: anything else inside them is moved or implied."""

PARENTS = {"li": {"ul", "ol"}, "tr": {"thead", "tbody", "tfoot"}, "td": {"tr"},
           "th": {"tr"}, "col": {"colgroup"}, "head": {"html"}, "body": {"html"}}
"""Elements HTML5 closes or implies a parent for unless they sit in one of these."""

NO_TEXT = frozenset({"html", "head", "table", "colgroup", "thead", "tbody", "tfoot", "tr"})
"""Elements where text other than whitespace would be moved elsewhere (foster parenting)."""

HTML_WHITESPACE = " \t\n\f\r"
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_REFERENCE = re.compile(r"&(?:#([0-9]+);|#[xX]([0-9a-fA-F]+);|([A-Za-z][A-Za-z0-9]*;))")
_ATTRIBUTE_NAME = re.compile(r"[a-z_:][-a-z0-9_:.]*")
_VALUE_STARTING_WITH_EQUALS = re.compile(r"\s[^\s\"'=/>]+\s*=\s*=")  # class==a


class _Unsure(Exception):
    """The HTML uses something whose HTML5 tree this parser does not promise to build."""


class _Builder(HTMLParser):
    """html.parser's tokens into an ElementTree, refusing what HTML5 would build otherwise."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tree = ET.TreeBuilder()
        self.open: list[str] = []
        self.seen: set[str] = set()  # of html, head, body: the start tags met so far
        self.closed: str | None = None  # "body" after </body>, "html" after </html>
        self.body: ET.Element | None = None
        self.after_body: list[str] = []

    def handle_starttag(self, tag, attrs):
        self._check_start(tag, attrs)
        element = self.tree.start(tag, {name: "" if value is None else value
                                        for name, value in attrs})
        if tag in ("html", "head", "body"):
            self.seen.add(tag)
        if tag == "body":
            self.body = element
        if tag in VOID:
            self.tree.end(tag)
        else:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag not in VOID:  # <div/> opens a div in HTML5
            raise _Unsure(tag)
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in ("body", "html"):  # HTML5 keeps both open: what follows goes in body
            if self.open != ["html", "body"] or self.closed != (None if tag == "body"
                                                                 else "body"):
                raise _Unsure(f"</{tag}>")
            self.closed = tag
            return
        if tag in VOID or not self.open or self.open[-1] != tag:
            raise _Unsure(f"</{tag}>")
        self.open.pop()
        self.tree.end(tag)

    def handle_data(self, data):
        blank = not data.strip(HTML_WHITESPACE)
        if self.closed or "head" not in self.seen:
            # HTML5 drops the whitespace before <html> and before <head>, and puts the
            # whitespace after </body> in body.
            if not blank:
                raise _Unsure("text outside head and body")
            if self.closed:
                self.after_body.append(data)
        elif self.open[-1] in NO_TEXT and not blank:
            raise _Unsure(f"text in <{self.open[-1]}>")
        else:
            self.tree.data(data)

    def handle_comment(self, data):
        raise _Unsure("comment")

    def handle_decl(self, decl):
        if self.seen or decl.lower() != "doctype html":
            raise _Unsure(decl)

    def unknown_decl(self, data):
        raise _Unsure(data)

    def handle_pi(self, data):
        raise _Unsure(data)

    def _check_start(self, tag, attrs):
        if self.closed or tag not in ALLOWED or len({n for n, _ in attrs}) != len(attrs):
            raise _Unsure(tag)
        raw = self.get_starttag_text() or ""
        if _VALUE_STARTING_WITH_EQUALS.search(raw) or not all(
                _ATTRIBUTE_NAME.fullmatch(name) for name, _ in attrs):
            raise _Unsure("an attribute html.parser reads its own way")  # class==a, data-İ
        parent = self.open[-1] if self.open else None
        if (tag == "html") != (parent is None) or (tag == "body") != ("head" in self.seen
                                                                      and parent == "html"):
            raise _Unsure(f"<{tag}>")
        if parent in CHILDREN and tag not in CHILDREN[parent]:
            raise _Unsure(f"<{tag}> in <{parent}>")
        if tag in PARENTS and parent not in PARENTS[tag]:
            raise _Unsure(f"<{tag}> in <{parent}>")
        if tag in self.seen or tag in CLOSES_P and "p" in self.open:
            raise _Unsure(f"<{tag}> again, or in <p>")
        if tag == "a" and "a" in self.open or tag in HEADINGS and parent in HEADINGS:
            raise _Unsure(f"<{tag}> in <{parent}>")


def _references_read_alike(html: str) -> bool:
    """Whether every & starts a reference that html.unescape and HTML5 decode alike: a whole
    named reference, or a numeric one to a character both keep (not a control character,
    surrogate or noncharacter, which html.unescape drops and HTML5 keeps)."""
    found = _REFERENCE.findall(html)
    if html.count("&") != len(found):
        return False
    for decimal, hexadecimal, name in found:
        if name:
            if name not in html5_entities:
                return False
            continue
        code = int(decimal) if decimal else int(hexadecimal, 16)
        if code > 0x10FFFF or code < 0x20 and chr(code) not in "\t\n\r" or (
                0x7F <= code <= 0x9F) or 0xD800 <= code <= 0xDFFF or (
                0xFDD0 <= code <= 0xFDEF) or code & 0xFFFE == 0xFFFE:
            return False
    return True


def parse(html: str) -> ET.Element | None:
    """The tree tinyhtml5 would build from this HTML (no namespaces), or None if unsure."""
    if "\x00" in html or html.startswith("\ufeff") or not _references_read_alike(html):
        return None
    builder = _Builder()
    try:
        builder.feed(html.replace("\r\n", "\n").replace("\r", "\n"))
        builder.close()
        if builder.closed != "html" or builder.body is None:
            raise _Unsure("not closed")
    except _Unsure:
        return None
    # HTML5 keeps body open after </body> and </html>: the whitespace there is body's,
    # after the text the builder still holds.
    if builder.after_body:
        builder.tree.data("".join(builder.after_body))
    builder.tree.end("body")
    return builder.tree.end("html")
