"""HTML → archival PDF with WeasyPrint, loading nothing from outside the templates and fonts."""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import functools
import io
import logging
import re
import time
import types
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlsplit

from grader.collector import collector_paused
from grader.render.box_questions import answered_once
from grader.render.page_values import first_and_last_page_values
from grader.render.percentages import fewer_calls_for_used_values
from grader.render.text_memo import TextMemo, font_configuration, remembered_text

PDF_VARIANT = "pdf/a-3a"
logger = logging.getLogger("grader.render")

PAGE_REFERENCES_FIXED_FOR = {("70.0", "0.13.0")}
"""(WeasyPrint, pydyf) versions whose `PDF.page_references` the adapter below was written for.

In pydyf 0.13 `PDF.page_references` is a property that builds a tuple of every page's
reference on each access, and WeasyPrint 70's tagging (pdf/tags.py) reads it once per
structure element, so a tagged PDF costs elements × pages. Other versions are used as they
are: a release that fixes it upstream needs no adapter, and one that changed it must not
get ours.
"""


def _weasyprint():
    # Imported lazily: WeasyPrint takes most of a second to import.
    import weasyprint

    return weasyprint


class RefusedURL(ValueError):
    """A resource outside the allowed folders, or on the network."""


def font_folders() -> list[Path]:
    """The folders of the packaged fonts, which the PDF loads as files."""
    from grader.render.html import builtin_templates, text_font_dir

    return [text_font_dir(), builtin_templates() / "fonts"]


def locked_fetcher(allowed: list[Path]):
    """A WeasyPrint URL fetcher that serves data: URIs and files under `allowed` only."""
    weasyprint = _weasyprint()
    roots = [p.resolve() for p in allowed]

    class LockedFetcher(weasyprint.urls.URLFetcher):
        def fetch(self, url, headers=None):
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file" and urlsplit(url).netloc.lower() in ("", "localhost"):
                # Resolved: no '..' or symbolic link leads out of the folders. A host
                # (file://host/...) is refused, as urllib would look it up on the network.
                path = Path(unquote(urlsplit(url).path)).resolve()
                if any(path.is_relative_to(root) for root in roots) and path.is_file():
                    return super().fetch(path.as_uri(), headers)
            logger.warning("refused to load %s: only the templates folder and data: URIs "
                           "are allowed", url[:200])
            raise RefusedURL(f"refused: {url[:200]}")

    return LockedFetcher(allowed_protocols=("data", "file"), allow_redirects=False)


SERIALIZE_ONCE_FOR = {("70.0", "0.13.0")}
"""(WeasyPrint, pydyf) versions whose `PDF.write` serialize_once() below was written for.

pydyf 0.13's `PDF.write` with an identifier (PDF/A needs the trailer's /ID) serializes every
object twice: once to write it, then again, all of them, to hash the file for the /ID; each
stream's `data` joins its operators and deflates them at level 9 each time.
"""


DEFLATE_LEVEL = 5
"""zlib level of the PDF's streams (pydyf 0.13 uses 9). Level 6, zlib's default, took a
quarter of level 9's time for files 3-4% larger; level 5 takes 0.6 of level 6's (seed's
99 streams, 2.6 MB: 47 -> 29 ms on every rebuild) for files 3% larger (seed 437 -> 449 kB,
300 citations 1.29 -> 1.33 MB); level 4 would be 8% larger again (issue 18)."""


def _adapter_applies(versions: set | None = None) -> bool:
    try:
        found = (metadata.version("weasyprint"), metadata.version("pydyf"))
    except metadata.PackageNotFoundError:
        return False
    return found in (PAGE_REFERENCES_FIXED_FOR if versions is None else versions)


@contextlib.contextmanager
def serialize_once():
    """Serialize each object of the PDF once while pydyf writes it (SERIALIZE_ONCE_FOR),
    deflating its streams at DEFLATE_LEVEL.

    Within `PDF.write` only (WeasyPrint builds and changes the objects before), the `data`
    of each of the document's objects is kept the first time it is asked for and handed
    back the second, so the file and its /ID hash are what they would be without;
    halves the deflating and serializing of write_pdf. The originals are put back when
    the write ends, even on an exception. Yields whether it was installed; one render at
    a time (like constant_time_page_references).
    """
    import pydyf

    write = pydyf.PDF.__dict__.get("write")
    kinds = (pydyf.Stream, pydyf.Dictionary, pydyf.Array)
    originals = {kind: kind.__dict__.get("data") for kind in kinds}
    if not _adapter_applies(SERIALIZE_ONCE_FOR) or write is None or not all(
            isinstance(prop, property) for prop in originals.values()):
        yield False
        return

    def write_once(pdf, *args, **kwargs):
        kept: dict[int, tuple[object, bytes]] = {}
        top = {id(obj) for obj in pdf.objects}  # nested objects are serialized once anyway

        def keeping(original):
            def data(obj):
                key = id(obj)
                if key not in top and not isinstance(obj, pydyf.Stream):
                    return original.fget(obj)
                hit = kept.get(key)
                if hit is None or hit[0] is not obj:
                    hit = kept[key] = (obj, original.fget(obj))
                return hit[1]
            return property(data, doc=original.__doc__)

        for kind, original in originals.items():
            kind.data = keeping(original)
        pydyf.zlib = deflate
        try:
            return write(pdf, *args, **kwargs)
        finally:
            pydyf.zlib = zlib
            for kind, original in originals.items():
                kind.data = original

    zlib = pydyf.zlib
    deflate = types.SimpleNamespace(
        compress=zlib.compress,
        compressobj=lambda level=-1, *args, **kwargs: zlib.compressobj(DEFLATE_LEVEL, *args,
                                                                        **kwargs))
    pydyf.PDF.write = write_once
    try:
        yield True
    finally:
        pydyf.PDF.write = write


@contextlib.contextmanager
def constant_time_page_references():
    """Make pydyf's `PDF.page_references` constant-time while the block runs.

    The replacement property keeps the tuple on the PDF object and rebuilds it only when
    the page list has grown (pages are only ever appended), so it returns the same tuple
    of the same bytes as the original, once per page added instead of once per access.
    The original property is put back when the block ends, even on an exception. Only
    for the versions in PAGE_REFERENCES_FIXED_FOR; yields whether it was installed.
    Not thread-safe across concurrent renders in one process (grader renders one at a time).
    """
    import pydyf

    original = pydyf.PDF.__dict__.get("page_references")
    if not _adapter_applies() or not isinstance(original, property):
        yield False
        return

    def page_references(pdf):
        kids = pdf.pages["Kids"]
        cached = pdf.__dict__.get("_grader_page_references")
        if cached is None or cached[0] is not kids or cached[1] != len(kids):
            cached = (kids, len(kids), original.fget(pdf))
            pdf.__dict__["_grader_page_references"] = cached
        return cached[2]

    pydyf.PDF.page_references = property(page_references, doc=original.__doc__)
    try:
        yield True
    finally:
        pydyf.PDF.page_references = original


SVG_TEXT_RUNS_FOR = {"70.0"}
"""WeasyPrint versions whose SVG `text` drawing svg_text_in_runs() was written for.

WeasyPrint 70 lays out and draws every SVG <text> and <tspan> one letter at a time (a Pango
layout and a text-showing operator per letter: 2,684 layouts for the seed's two figures),
which per-letter positions, rotate, letter-spacing and textLength need and plain text does
not. Other versions are used as they are.
"""

_PER_LETTER_ATTRIBUTES = ("rotate", "letter-spacing", "textLength", "lengthAdjust")
_LISTS = re.compile(r"\S[\s,]+\S")
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x85\u2028\u2029]")
"""Characters Pango breaks a line at: a layout of the whole run would show its first line
only, where one layout per letter showed every letter."""


class _OneRun(str):
    """Text that iterates as one piece, so a per-letter loop over it sees one 'letter'."""

    __slots__ = ()

    def __iter__(self):
        yield str(self)


def _drawn_as_one_run(node) -> bool:
    """Whether an SVG text node is plain: nothing in it is placed letter by letter."""
    attrib = node.attrib
    text = node.text or ""
    return (node.tag in ("text", "tspan") and len(text) > 1 and not _LINE_BREAKS.search(text)
            and attrib.get("direction", "ltr") == "ltr"
            and not any(name in attrib for name in _PER_LETTER_ATTRIBUTES)
            and not any(_LISTS.search(attrib.get(name, "").strip())
                        for name in ("x", "y", "dx", "dy")))


@contextlib.contextmanager
def svg_text_in_runs():
    """Lay out and draw each plain SVG text node as one run while the block runs.

    WeasyPrint's own `text` drawing is called unchanged; a plain node's text
    (_drawn_as_one_run) is handed to it as a _OneRun for the call, so its loop over
    the letters lays out and draws the whole run once, shaped and kerned by Pango as HTML
    text is (so combining marks and right-to-left words are shaped, not set letter by
    letter), from the same start. Nodes that place letters one by one, or hold a line
    break (_LINE_BREAKS), keep WeasyPrint's path. The drawing functions are put back when
    the block ends, even on an exception. Only for SVG_TEXT_RUNS_FOR; yields whether it was
    installed.
    """
    weasyprint = _weasyprint()
    from weasyprint import svg

    original = svg.__dict__.get("text")
    if weasyprint.__version__ not in SVG_TEXT_RUNS_FOR or original is None or \
            svg.TAGS.get("text") is not original:
        yield False
        return

    def text(drawing, node, font_size):
        element, plain = node._etree_node, node.text
        if not _drawn_as_one_run(node):
            return original(drawing, node, font_size)
        element.text = _OneRun(plain)
        try:
            return original(drawing, node, font_size)
        finally:
            element.text = plain

    # Every tag drawn by `text`, and the module's own name for it: WeasyPrint tells text
    # nodes by comparing TAGS[tag] with it (bounding boxes, text-anchor).
    tags = [tag for tag, draw in svg.TAGS.items() if draw is original]
    svg.TAGS.update(dict.fromkeys(tags, text))
    svg.text = text
    try:
        yield True
    finally:
        svg.TAGS.update(dict.fromkeys(tags, original))
        svg.text = original


class FontSet:
    """The packaged fonts parsed once, with the FontConfiguration they are registered in.

    Kept for the life of the process (`grader watch` renders many times), with the parsed
    stylesheets and the last render's text work (text_memo.py); the @font-face rules
    load the font files through the locked fetcher, never data: URIs.
    """

    def __init__(self):
        from grader.render.html import font_css

        weasyprint = _weasyprint()
        self.font_config = font_configuration()  # counts its faces: text_memo.py
        self.css = weasyprint.CSS(string=font_css(inline=False),
                                  url_fetcher=locked_fetcher(font_folders()),
                                  font_config=self.font_config)
        self._stylesheets: dict[tuple, object] = {}
        self.text_memo = TextMemo()  # these fonts' text work, from one render to the next

    def stylesheet(self, css: str, *, base_dir: Path, allowed: list[Path]):
        """brief.css as a weasyprint.CSS, parsed once per process for each text and folder.

        Why: the css's tokens, rules and compiled selectors are the same on every render
        (seed: 26 ms and 3% of a render's calls); the last few texts are kept, so an
        edited brief.css in a user's templates is parsed again.
        """
        key = (css, str(base_dir), tuple(str(p) for p in allowed))
        if key not in self._stylesheets:
            while len(self._stylesheets) >= STYLESHEETS_KEPT:
                self._stylesheets.pop(next(iter(self._stylesheets)))
            self._stylesheets[key] = _weasyprint().CSS(
                string=css, base_url=str(base_dir) + "/", font_config=self.font_config,
                url_fetcher=locked_fetcher(allowed + font_folders()))
        return self._stylesheets[key]


STYLESHEETS_KEPT = 4
"""How many parsed stylesheets a FontSet keeps (built-in brief.css, a user's, its edits)."""


@functools.cache
def packaged_fonts() -> FontSet:
    """The process's one FontSet (released at exit, while WeasyPrint can still clean up)."""
    atexit.register(packaged_fonts.cache_clear)
    return FontSet()


TRIMMED_UA_FOR = {"70.0"}
"""WeasyPrint versions whose user-agent stylesheet trimmed_ua_stylesheet() was written for."""

UNUSED_UA_RULES = ("::footnote-call", "::footnote-marker", "::note-call", "::note-marker",
                   "::note-callback")
"""User-agent rules for footnotes and notes, which match every element of every document."""

NEEDS_FULL_UA = re.compile(r"float\s*:\s*footnote|note\s*\(|list-item|<summary|<details",
                           re.IGNORECASE)
"""What in a document's HTML or CSS could use the rules the trimmed stylesheet leaves out:
footnotes (float: footnote), notes (position: note(...)), list items other than <li>."""


@functools.cache
def trimmed_ua_stylesheet():
    """WeasyPrint's user-agent stylesheet without UNUSED_UA_RULES, its `::marker` rule for
    <li> only (None if this WeasyPrint's stylesheet is not the one this was written for).

    Why: each of those six rules is a pseudo-element of every element, so WeasyPrint
    cascaded and computed six styles per element that no box of the brief ever used
    (seed: 23,000 of 25,000 computed styles, 6% of a render's calls). A document without
    footnotes, notes or list items but <li> (NEEDS_FULL_UA) renders the same without them.
    """
    weasyprint = _weasyprint()
    if weasyprint.__version__ not in TRIMMED_UA_FOR:
        return None
    from weasyprint import html as weasyprint_html

    lines = weasyprint_html.UA.splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(UNUSED_UA_RULES)]
    markers = [i for i, line in enumerate(kept) if line.startswith("::marker {")]
    if len(lines) - len(kept) != len(UNUSED_UA_RULES) or len(markers) != 1:
        return None
    kept[markers[0]] = "li" + kept[markers[0]]
    # Its @counter-style rules land in a dict of their own (a document's counter styles
    # come from WeasyPrint's UA_COUNTER_STYLE, filled when WeasyPrint parsed the original).
    from weasyprint.css.counters import CounterStyle

    return weasyprint.CSS(string="".join(kept), counter_style=CounterStyle())


PARSED_TREE_FOR = {"70.0"}
"""WeasyPrint versions whose `HTML.__init__` BriefHTML.from_tree was written after: it sets
the same five attributes from a tree parsed already (fast_html)."""


@functools.cache
def _html_class(trimmed: bool):
    """weasyprint.HTML that can start from a parsed tree, cascading the trimmed user-agent
    stylesheet if trimmed."""
    weasyprint = _weasyprint()

    class BriefHTML(weasyprint.HTML):
        @classmethod
        def from_tree(cls, root, *, base_url: str, url_fetcher, media_type: str = "print"):
            """The document of a tree from fast_html.parse, which has no <base> (so the
            base URL is base_url), as HTML(string=...) would have parsed it."""
            import cssselect2
            from weasyprint.urls import ensure_url

            document = cls.__new__(cls)
            document.base_url = ensure_url(base_url)  # as HTML(string=...) makes it
            document.url_fetcher = url_fetcher
            document.media_type = media_type
            document.wrapper_element = cssselect2.ElementWrapper.from_html_root(
                root, content_language=None)
            document.etree_element = document.wrapper_element.etree_element
            return document

        if trimmed:
            def _ua_stylesheets(self, forms=False):
                if forms:
                    return super()._ua_stylesheets(forms)
                return [trimmed_ua_stylesheet()]

    return BriefHTML


def parse_html(html: str, *, base_dir: Path, allowed: list[Path], css: str = "",
               trim_ua: bool = True, fast_parse: bool = False):
    """Phase 1 of render_pdf: the HTML parsed by WeasyPrint, fetching through the locked
    fetcher (the templates and fonts folders, data: URIs); with the trimmed user-agent
    stylesheet if trim_ua and neither the HTML nor its css (NEEDS_FULL_UA) could use what
    it leaves out; parsed by fast_html if fast_parse and it builds the tree (for grader's
    own templates, which the tests compare both parsers on)."""
    weasyprint = _weasyprint()
    trimmed = trim_ua and trimmed_ua_stylesheet() is not None and not (
        NEEDS_FULL_UA.search(html) or NEEDS_FULL_UA.search(css))
    base_url, fetcher = str(base_dir) + "/", locked_fetcher(allowed + font_folders())
    if fast_parse and weasyprint.__version__ in PARSED_TREE_FOR:
        from grader.render import fast_html

        root = fast_html.parse(html)
        if root is not None:
            return _html_class(trimmed).from_tree(root, base_url=base_url,
                                                  url_fetcher=fetcher)
    kind = _html_class(True) if trimmed else weasyprint.HTML
    return kind(string=html, base_url=base_url, url_fetcher=fetcher)


def lay_out(document, fonts: FontSet, stylesheets: tuple = ()):
    """Phase 2 of render_pdf: styles, boxes and pages (`HTML.render`)."""
    return document.render(font_config=fonts.font_config,
                           stylesheets=[fonts.css, *stylesheets],
                           pdf_variant=PDF_VARIANT, pdf_tags=True)


def write(rendering, *, attachment: bytes, attachment_name: str, date: str,
          url_fetcher) -> bytes:
    """Phase 3 of render_pdf: drawing, tags and PDF/A-3a, the evidence attached
    (`Document.write_pdf`)."""
    weasyprint = _weasyprint()
    moment = dt.datetime.fromisoformat(date).replace(tzinfo=dt.UTC)
    source = weasyprint.Attachment(
        file_obj=io.BytesIO(attachment), name=attachment_name, relationship="Source",
        description="The evidence table this brief was built from", url_fetcher=url_fetcher,
        created=moment, modified=moment)
    with constant_time_page_references(), serialize_once(), svg_text_in_runs():
        return rendering.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True,
                                   attachments=[source], custom_metadata=True,
                                   uncompressed_pdf=False)


def render_pdf(html: str, *, base_dir: Path, allowed: list[Path], attachment: bytes,
               attachment_name: str, date: str, fonts: FontSet | None = None,
               stylesheet: str | None = None, timings: dict | None = None,
               builtin: bool = False) -> bytes:
    """Render the brief to PDF/A-3a bytes with the evidence file attached.

    html carries no @font-face rules: the packaged fonts come from `fonts` (by default the
    process's FontSet, loaded once). stylesheet: the brief.css that render_html put inline,
    to be taken out and given parsed once (html.split_stylesheet). builtin: the HTML and
    CSS are grader's own templates, which the trimmed user-agent stylesheet and the
    whitespace compaction were checked against; a user's templates get neither (their
    HTML or CSS could use what those leave out). timings, if given,
    receives each phase's (wall, CPU) seconds under "parse", "render" and "write_pdf"
    (benchmarks/profile_render.py).
    """
    from grader.render.html import compact_whitespace, split_stylesheet

    fonts = fonts or packaged_fonts()
    css = None
    if stylesheet is not None:
        html, css = split_stylesheet(html, stylesheet)
    known = builtin and css is not None  # grader's templates, brief.css the only CSS
    if known:
        html = compact_whitespace(html, css)
    sheets = (fonts.stylesheet(css, base_dir=base_dir, allowed=allowed),) if css else ()
    timings = {} if timings is None else timings

    def timed(phase, call):
        wall, cpu = time.perf_counter(), time.process_time()
        out = call()
        timings[phase] = (time.perf_counter() - wall, time.process_time() - cpu)
        return out

    with collector_paused(), remembered_text(fonts.text_memo), first_and_last_page_values(), \
            fewer_calls_for_used_values(), answered_once():
        document = timed("parse", lambda: parse_html(html, base_dir=base_dir,
                                                     allowed=allowed, css=css or "",
                                                     trim_ua=known, fast_parse=known))
        rendering = timed("render", lambda: lay_out(document, fonts, sheets))
        return timed("write_pdf", lambda: write(
            rendering, attachment=attachment, attachment_name=attachment_name, date=date,
            url_fetcher=document.url_fetcher))
