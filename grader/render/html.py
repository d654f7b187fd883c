"""The Jinja environment and the self-contained HTML brief."""

from __future__ import annotations

import base64
import contextlib
import functools
import re
import signal
import threading
import time
from importlib import resources
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from grader.render import svg
from grader.render.formatters import FILTERS, markdown_inline

TEXT_FONT_PACKAGE = "font_source_sans_pro"
TEXT_FACES = (("SourceSansPro-Regular.ttf", 400, "normal"),
              ("SourceSansPro-Semibold.ttf", 600, "normal"),
              ("SourceSansPro-Bold.ttf", 700, "normal"),
              ("SourceSansPro-It.ttf", 400, "italic"))
SYMBOL_FONT = "grader-symbols.ttf"


POSITION_ANCHOR = "h2"
"""The element of a position's section that carries its id (page 1 links to it): the heading.

On the <article>, the id made WeasyPrint compute fresh styles for the article and every
element in it (an element with an id never shares its computed style, nor then do its
descendants), so no two sections' tables shared a style: seed -10% of a render's calls.
"""


def builtin_templates() -> Path:
    """The folder of the packaged templates."""
    return Path(str(resources.files("grader.templates")))


class ConfinedLoader(jinja2.FileSystemLoader):
    """A user's templates folder: no file outside it, not even through a symbolic link.

    (FileSystemLoader already refuses '..' and absolute names, but follows links: a shared
    folder could link `_page1.html.j2` to ~/.ssh/id_rsa and print it in the brief.)
    """

    def get_source(self, environment, template):
        source, filename, uptodate = super().get_source(environment, template)
        root = Path(self.searchpath[0]).resolve()
        target = Path(filename).resolve()
        if not target.is_relative_to(root):
            raise RefusedTemplate(f"a link to {target}, outside the templates folder; "
                                  "refused: copy the file into the folder instead", filename)
        return source, filename, uptodate


class RefusedTemplate(jinja2.TemplateError):
    """A user template that leads outside the templates folder."""

    def __init__(self, message: str, filename: str):
        super().__init__(message)
        self.filename = filename


DEFAULT_TEMPLATE_TIMEOUT = 60.0  # seconds of rendering allowed to templates from --templates


class TemplateTimeout(Exception):
    """User templates ran past their time budget (an endless or enormous loop)."""

    def __init__(self, seconds: float):
        super().__init__(f"stopped after {seconds:g} s, the time limit for templates given "
                         "with --templates (an endless or enormous loop?); fix the template "
                         "or pass --template-timeout SECONDS")
        self.seconds = seconds


class TimedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox for user templates, which also checks a deadline on every call and
    attribute lookup (the fallback where no timer signal is available)."""

    deadline: float | None = None
    budget: float = DEFAULT_TEMPLATE_TIMEOUT

    def _check(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise TemplateTimeout(self.budget)

    def call(self, __context, __obj, *args, **kwargs):  # noqa: N807 - Jinja's signature
        self._check()
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj, attribute):
        self._check()
        return super().getattr(obj, attribute)

    def getitem(self, obj, argument):
        self._check()
        return super().getitem(obj, argument)


@contextlib.contextmanager
def time_limit(env: jinja2.Environment, seconds: float | None):
    """Stop rendering with TemplateTimeout once `seconds` have passed (user templates only).

    In the main thread a real-time timer (SIGALRM) interrupts even a loop that calls
    nothing; elsewhere, the sandbox checks the deadline on each call and lookup.
    """
    if not isinstance(env, TimedSandbox) or not seconds:
        yield
        return
    use_timer = (hasattr(signal, "setitimer")
                 and threading.current_thread() is threading.main_thread())
    # One of the two, never both: a second timeout raised while Jinja handles the first
    # would lose the template's name from the traceback.
    env.budget, env.deadline = seconds, None if use_timer else time.monotonic() + seconds
    if use_timer:
        def expired(signum, frame):
            raise TemplateTimeout(seconds)

        previous = signal.signal(signal.SIGALRM, expired)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        env.deadline = None
        if use_timer:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def make_environment(user_dir: Path | None = None) -> jinja2.Environment:
    """Autoescaping Jinja environment; user templates override the built-ins, sandboxed."""
    loaders = [jinja2.FileSystemLoader(str(builtin_templates()))]
    env_class = jinja2.Environment
    if user_dir is not None:
        loaders.insert(0, ConfinedLoader(str(user_dir)))
        # A committee's shared templates are untrusted code: no attribute games.
        env_class = TimedSandbox
    env = env_class(loader=jinja2.ChoiceLoader(loaders), autoescape=True,
                    undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                    keep_trailing_newline=True)
    env.filters.update(FILTERS)
    env.globals.update(evidence_map=lambda positions: Markup(svg.evidence_map(positions)),
                       certainty_bars=lambda counts: Markup(svg.certainty_bars(counts)))
    return env


def text_font_dir() -> Path:
    """The folder of the packaged text font's files."""
    return Path(str(resources.files(TEXT_FONT_PACKAGE).joinpath("files")))


@functools.lru_cache(maxsize=4)
def shared_environment(user_dir: Path | None = None) -> jinja2.Environment:
    """make_environment(user_dir), made once per process and reused (`grader watch`).

    Jinja keeps the compiled templates and, with auto_reload, recompiles a template whose
    file changed, so an edited user template is still picked up on the next build.
    """
    return make_environment(user_dir)


@functools.cache
def font_css(inline: bool = True) -> str:
    """@font-face rules for the packaged fonts (same on every machine).

    inline: the fonts embedded as data: URIs (the self-contained brief.html); otherwise
    file: URLs of the package's files, which the PDF renderer's locked fetcher allows and
    WeasyPrint reads without decoding megabytes of base64 from the HTML.
    """
    def src(folder, name: str) -> str:
        data = folder.joinpath(name).read_bytes()
        if inline:
            return f"url(data:font/ttf;base64,{base64.b64encode(data).decode()})"
        return f"url({Path(str(folder.joinpath(name))).resolve().as_uri()})"

    faces = []
    text_dir = resources.files(TEXT_FONT_PACKAGE).joinpath("files")
    for name, weight, style in TEXT_FACES:
        faces.append(f"@font-face {{ font-family: 'Grader Text'; font-weight: {weight}; "
                     f"font-style: {style}; src: {src(text_dir, name)}; }}")
    symbols = src(resources.files("grader.templates.fonts"), SYMBOL_FONT)
    # One face for every weight and style, so bold text never reaches for a system font.
    for weight in (400, 600, 700):
        for style in ("normal", "italic"):
            faces.append(f"@font-face {{ font-family: 'Grader Symbols'; font-weight: {weight}; "
                         f"font-style: {style}; src: {symbols}; }}")
    return "\n".join(faces)


def stylesheet(env: jinja2.Environment) -> str:
    """brief.css from the templates in use (a user's copy if given)."""
    source, _, _ = env.loader.get_source(env, "brief.css")
    return source


FONTS_SLOT = "/* grader: the fonts' @font-face rules */"
"""Where render_html leaves room for the fonts in the inline CSS (see self_contained)."""


def render_html(context: dict, env: jinja2.Environment, *, inline_fonts: bool = True) -> str:
    """The brief as one HTML document, its CSS inline.

    inline_fonts: the self-contained brief.html (fonts embedded, figures as inline SVG).
    Without, the HTML is the one for the PDF renderer, which loads the fonts from their
    files and takes the figures as SVG images; `self_contained` turns it into brief.html,
    so the template is rendered once for both.
    """
    css = Markup(FONTS_SLOT + "\n" + stylesheet(env))
    html = env.get_template("brief.html.j2").render(**context, inline_css=css)
    return self_contained(html) if inline_fonts else html


def split_stylesheet(html: str, css: str) -> tuple[str, str | None]:
    """The HTML of render_html(..., inline_fonts=False) for the PDF renderer, and the
    stylesheet to hand WeasyPrint parsed once per process (None: it stays inline).

    Why: inline, brief.css was tokenised, parsed and its selectors compiled on every
    render (`grader watch`); given as a stylesheet, one weasyprint.CSS serves every render
    (render.pdf.FontSet.stylesheet). WeasyPrint gives a stylesheet passed this way the
    user origin instead of the author origin of a <style>, which decides nothing while it
    is the document's only CSS besides the user-agent's and has no !important; so the css
    stays inline if the HTML has other CSS (a user's template), if it uses !important or
    @import (an imported file, parsed once, would not follow edits), or if the template did
    not put it in at all.
    """
    block = FONTS_SLOT + "\n" + css
    alone = re.compile(r"<style>\s*" + re.escape(block) + r"\s*</style>")
    if (html.count(block) != 1 or not alone.search(html) or "!important" in css
            or "@import" in css or html.count("<style") != 1 or "<link" in html
            or " style=" in html):
        return html, None  # other rules in its <style> would outrank it once it moved
    return html.replace(block, FONTS_SLOT, 1), css


BLOCK_TAG_WHITESPACE = re.compile(
    r"(</?(?:html|head|body|meta|title|style|header|section|article|div|p|h[1-6]|ul|ol|li|"
    r"table|caption|colgroup|col|thead|tbody|tr|th|td)\b[^>]*>)\s+(?=<)")
"""Whitespace between a block or table tag and the next tag: the templates' indentation."""

PRESERVED_WHITESPACE = re.compile(r"<pre\b|<textarea\b|white-space\s*:\s*(?:pre|break-spaces)",
                                  re.IGNORECASE)


def compact_whitespace(html: str, css: str = "") -> str:
    """The HTML without the whitespace between a block or table tag and the next tag.

    Why: WeasyPrint's parser and box builder take each run of the templates' indentation
    as a text node, to drop it later where it collapses (seed: 2,000 of them, 1.4% of a
    render's calls). Such whitespace collapses wherever it is (it starts a line, or stands
    between blocks or table parts), unless white-space preserves it: then the HTML is
    left as it is.
    """
    if PRESERVED_WHITESPACE.search(html) or PRESERVED_WHITESPACE.search(css):
        return html
    return BLOCK_TAG_WHITESPACE.sub(r"\1", html)


def self_contained(html: str) -> str:
    """The HTML of render_html(..., inline_fonts=False) as brief.html: fonts embedded as
    data: URIs, figures inline."""
    return svg.inline_images(html.replace(FONTS_SLOT, font_css(), 1))


def _markdown_safe(value: object) -> object:
    """Keep every value inert in Markdown (formatters.markdown_inline)."""
    if not isinstance(value, str):
        return value
    return markdown_inline(value)


def render_markdown(context: dict, env: jinja2.Environment) -> str:
    """The brief as Markdown, for pasting into committee documents."""
    md_env = env.overlay(autoescape=False, finalize=_markdown_safe)
    return md_env.get_template("brief.md.j2").render(**context)
