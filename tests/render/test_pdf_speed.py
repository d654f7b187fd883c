"""The PDF path's speed devices: fonts from files, the page-references adapter, the paused
collector, warm = cold."""

from __future__ import annotations

import contextlib
import gc
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from grader.collector import collector_paused
from grader.render import pdf as pdf_module
from grader.render.html import (
    FONTS_SLOT,
    POSITION_ANCHOR,
    font_css,
    make_environment,
    render_html,
    self_contained,
)

ROOT = Path(__file__).resolve().parents[2]
pydyf = pytest.importorskip("pydyf")
weasyprint = pytest.importorskip("weasyprint")

# Three pages with tagged text: the tagging reads page_references once per element.
PAGES_HTML = ("<html lang='en'><body>" + "".join(f"<p style='break-after: page'>Page {i} "
                                       f"<b>bold</b> <i>italic</i></p>" for i in range(3))
              + "</body></html>")


def _original():
    return pydyf.PDF.__dict__["page_references"]


needs_adapter = pytest.mark.skipif(not pdf_module._adapter_applies(),
                                   reason="the adapter is for WeasyPrint 70 / pydyf 0.13 only")


@needs_adapter
def test_adapter_installed_only_inside_the_block():
    original = _original()
    with pdf_module.constant_time_page_references() as installed:
        assert installed
        assert _original() is not original
    assert _original() is original


@needs_adapter
def test_adapter_removed_after_an_exception():
    original = _original()
    with pytest.raises(RuntimeError), pdf_module.constant_time_page_references():
        raise RuntimeError("the render failed")
    assert _original() is original


def test_adapter_not_installed_for_other_versions(monkeypatch):
    monkeypatch.setattr(pdf_module, "PAGE_REFERENCES_FIXED_FOR", {("0.0", "0.0")})
    original = _original()
    with pdf_module.constant_time_page_references() as installed:
        assert not installed
        assert _original() is original


@needs_adapter
def test_adapter_returns_the_same_references_and_rebuilds_when_pages_grow():
    doc = pydyf.PDF()
    for _ in range(3):
        doc.add_page(pydyf.Dictionary({"Type": "/Page"}))
    plain = doc.page_references
    with pdf_module.constant_time_page_references():
        first = doc.page_references
        assert first == plain and doc.page_references is first  # cached, not rebuilt
        doc.add_page(pydyf.Dictionary({"Type": "/Page"}))
        assert doc.page_references == _original().fget(doc) and len(doc.page_references) == 4


@needs_adapter
def test_adapter_gives_byte_identical_pdfs():
    def render(adapted: bool) -> bytes:
        document = weasyprint.HTML(string=PAGES_HTML).render(pdf_tags=True)
        if adapted:
            with pdf_module.constant_time_page_references():
                return document.write_pdf(pdf_variant="pdf/a-3a", pdf_tags=True)
        return document.write_pdf(pdf_variant="pdf/a-3a", pdf_tags=True)

    assert render(True) == render(False)


def test_render_pdf_installs_the_adapter_only_while_writing(monkeypatch):
    original = _original()
    seen = []
    write = pydyf.PDF.write

    def spy(self, *args, **kwargs):
        seen.append(pydyf.PDF.__dict__["page_references"] is not original)
        return write(self, *args, **kwargs)

    monkeypatch.setattr(pydyf.PDF, "write", spy)
    templates = Path(str(pdf_module.font_folders()[1])).parent
    out = pdf_module.render_pdf(PAGES_HTML, base_dir=templates, allowed=[templates],
                                attachment=b"a,b\n", attachment_name="e.csv",
                                date="2026-05-28")
    assert out.startswith(b"%PDF")
    assert seen == [pdf_module._adapter_applies()]
    assert _original() is original


def test_pdf_fonts_are_file_urls_the_locked_fetcher_allows():
    css = font_css(inline=False)
    assert "data:" not in css and css.count("url(file://") == 10
    fetcher = pdf_module.locked_fetcher(pdf_module.font_folders())
    for url in (part.split(")")[0] for part in css.split("url(")[1:]):
        assert fetcher.fetch(url) is not None  # served, not refused (RefusedURL)


def test_html_for_the_pdf_has_no_inline_fonts_and_brief_html_keeps_them(seed_context):
    env = make_environment()
    bare = render_html(seed_context, env, inline_fonts=False)
    full = render_html(seed_context, env)
    assert "data:font" not in bare and FONTS_SLOT in bare and "<svg" not in bare
    assert full.count("src: url(data:font/ttf;base64,") == 10
    assert self_contained(bare) == full


def test_position_ids_are_on_headings_so_sections_share_styles(seed_context):
    html = render_html(seed_context, make_environment(), inline_fonts=False)
    links = re.findall(r'href="#(p-[^"]+)"', html)
    targets = dict((target, tag) for tag, target in re.findall(r'<(\w+)[^>]* id="(p-[^"]+)"', html))
    assert links and set(links) == set(targets)
    assert set(targets.values()) == {POSITION_ANCHOR} == {"h2"}
    assert html.count('<article class="position">') == len(seed_context["sections"])


@pytest.fixture
def seed_context():
    from grader.pipeline import assess
    from grader.render.context import Settings, build_context

    return build_context(assess(ROOT / "evidence.csv"), Settings(), "2026-05-28", None)


def test_warm_builds_are_byte_identical_to_a_cold_build(tmp_path, monkeypatch):
    """Two builds in one process (warm fonts, environment, rubric) equal a fresh process's."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")
    lines = (ROOT / "evidence.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    evidence = tmp_path / "evidence.csv"
    evidence.write_text("".join(lines[:7]), encoding="utf-8")
    subprocess.run([sys.executable, "-m", "grader", "build", str(evidence), "--out",
                    str(tmp_path / "cold"), "--format", "pdf,html", "--force", "-q"],
                   check=True, env={"SOURCE_DATE_EPOCH": "1780000000", "PATH": "/usr/bin"})
    from grader.build import BuildOptions, build_brief

    options = BuildOptions(csv=evidence, out_dir=tmp_path / "warm", formats=("pdf", "html"),
                           force=True)
    for _ in range(2):
        build_brief(options)
        for name in ("brief.pdf", "brief.html"):
            assert (tmp_path / "warm" / name).read_bytes() == \
                (tmp_path / "cold" / name).read_bytes(), name


def _render_small(**kwargs) -> bytes:
    templates = Path(str(pdf_module.font_folders()[1])).parent
    return pdf_module.render_pdf(PAGES_HTML, base_dir=templates, allowed=[templates],
                                 attachment=b"a,b\n", attachment_name="e.csv",
                                 date="2026-05-28", **kwargs)


def test_render_pdf_runs_every_phase_with_the_collector_paused(monkeypatch):
    seen = {}
    for phase in ("parse_html", "lay_out", "write"):
        real = getattr(pdf_module, phase)

        def spy(*args, _real=real, _phase=phase, **kwargs):
            seen[_phase] = gc.isenabled()
            return _real(*args, **kwargs)

        monkeypatch.setattr(pdf_module, phase, spy)
    assert gc.isenabled()
    timings = {}
    assert _render_small(timings=timings).startswith(b"%PDF")
    assert seen == {"parse_html": False, "lay_out": False, "write": False}
    assert gc.isenabled()  # on again afterwards
    assert set(timings) == {"parse", "render", "write_pdf"}
    assert all(wall >= 0 and cpu >= 0 for wall, cpu in timings.values())


def test_collector_paused_nests_and_restores_even_after_an_exception():
    assert gc.isenabled()
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves it to the outer one
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("the render failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # a caller's own pause is left as it was
    finally:
        gc.enable()


def test_build_writes_its_outputs_before_the_collector_runs_again(tmp_path, monkeypatch):
    from grader import build

    seen = []
    real = build.write_outputs

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(build, "write_outputs", spy)
    lines = (ROOT / "evidence.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    evidence = tmp_path / "evidence.csv"
    evidence.write_text("".join(lines[:7]), encoding="utf-8")
    build.build_brief(build.BuildOptions(csv=evidence, out_dir=tmp_path / "out",
                                         formats=("md",), force=True))
    assert seen == [False] and gc.isenabled()


needs_write_adapter = pytest.mark.skipif(
    not pdf_module._adapter_applies(pdf_module.SERIALIZE_ONCE_FOR),
    reason="serialize_once is for WeasyPrint 70 / pydyf 0.13 only")


def _tagged_document():
    return weasyprint.HTML(string=PAGES_HTML).render(pdf_variant="pdf/a-3a", pdf_tags=True)


@needs_write_adapter
def test_serialize_once_gives_the_same_bytes_at_the_same_level(monkeypatch):
    document = _tagged_document()
    plain = document.write_pdf(pdf_variant="pdf/a-3a", pdf_tags=True)
    monkeypatch.setattr(pdf_module, "DEFLATE_LEVEL", 9)  # pydyf's own level
    with pdf_module.serialize_once() as installed:
        once = document.write_pdf(pdf_variant="pdf/a-3a", pdf_tags=True)
    assert installed and once == plain


@needs_write_adapter
def test_serialize_once_deflates_each_stream_once_at_its_level(monkeypatch):
    import zlib

    document = _tagged_document()
    levels = []
    real = zlib.compressobj
    monkeypatch.setattr(zlib, "compressobj",
                        lambda level=-1, *a, **k: levels.append(level) or real(level, *a, **k))
    document.write_pdf(pdf_variant="pdf/a-3a", pdf_tags=True)
    twice = len(levels)
    assert set(levels) == {9}
    levels.clear()
    with pdf_module.serialize_once():
        data = document.write_pdf(pdf_variant="pdf/a-3a", pdf_tags=True)
    assert set(levels) == {pdf_module.DEFLATE_LEVEL} == {5}
    assert 0 < len(levels) < twice  # the /ID hash no longer deflates every stream again
    import pypdf

    assert len(pypdf.PdfReader(io.BytesIO(data)).pages) == 3


@needs_write_adapter
def test_serialize_once_is_removed_after_the_write_and_after_an_exception():
    write, data = pydyf.PDF.__dict__["write"], pydyf.Stream.__dict__["data"]
    with pdf_module.serialize_once():
        assert pydyf.PDF.__dict__["write"] is not write
        _tagged_document().write_pdf(pdf_variant="pdf/a-3a", pdf_tags=True)
        assert pydyf.Stream.__dict__["data"] is data  # kept only inside PDF.write
    assert pydyf.PDF.__dict__["write"] is write
    with pytest.raises(RuntimeError), pdf_module.serialize_once():
        raise RuntimeError("the render failed")
    assert pydyf.PDF.__dict__["write"] is write and pydyf.zlib.compressobj is \
        __import__("zlib").compressobj


def test_serialize_once_not_installed_for_other_versions(monkeypatch):
    monkeypatch.setattr(pdf_module, "SERIALIZE_ONCE_FOR", {("0.0", "0.0")})
    write = pydyf.PDF.__dict__["write"]
    with pdf_module.serialize_once() as installed:
        assert not installed and pydyf.PDF.__dict__["write"] is write


def test_render_pdf_writes_with_serialize_once(monkeypatch):
    seen = []
    real = pdf_module.serialize_once

    @contextlib.contextmanager
    def spy():
        with real() as installed:
            seen.append(installed)
            yield installed

    monkeypatch.setattr(pdf_module, "serialize_once", spy)
    assert _render_small().startswith(b"%PDF")
    assert seen == [pdf_module._adapter_applies(pdf_module.SERIALIZE_ONCE_FOR)]


@pytest.fixture
def small_brief(tmp_path):
    """The PDF path's HTML of a six-citation brief and its brief.css."""
    from grader.pipeline import assess
    from grader.render.context import Settings, build_context
    from grader.render.html import stylesheet

    lines = (ROOT / "evidence.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    evidence = tmp_path / "evidence.csv"
    evidence.write_text("".join(lines[:7]), encoding="utf-8")
    env = make_environment()
    context = build_context(assess(evidence), Settings(), "2026-05-28", None)
    return render_html(context, env, inline_fonts=False), stylesheet(env)


def _render(html: str, **kwargs) -> bytes:
    templates = Path(str(pdf_module.font_folders()[1])).parent
    return pdf_module.render_pdf(html, base_dir=templates, allowed=[templates],
                                 attachment=b"a,b\n", attachment_name="e.csv",
                                 date="2026-05-28", **kwargs)


def test_brief_css_is_parsed_once_per_process_and_not_inline(small_brief, monkeypatch):
    html, css = small_brief
    fonts = pdf_module.FontSet()
    parsed, handed = [], []
    real_css, real_parse = weasyprint.CSS, pdf_module.parse_html

    def spy_css(*args, **kwargs):
        parsed.append(kwargs.get("string"))
        return real_css(*args, **kwargs)

    def spy_parse(text, **kwargs):
        handed.append(text)
        return real_parse(text, **kwargs)

    monkeypatch.setattr(weasyprint, "CSS", spy_css)
    monkeypatch.setattr(pdf_module, "parse_html", spy_parse)
    first = _render(html, fonts=fonts, stylesheet=css)
    second = _render(html, fonts=fonts, stylesheet=css)
    assert parsed == [css]  # once, for two renders
    assert len(handed) == 2 and all(css not in text for text in handed)
    inline = handed[0][handed[0].index("<style>"):handed[0].index("</style>")]
    assert inline.split() == ["<style>", *FONTS_SLOT.split()]  # no brief.css left in it
    monkeypatch.setattr(weasyprint, "CSS", real_css)
    assert first == second == _render(html, fonts=fonts)  # the same PDF as with it inline


def test_brief_css_stays_inline_where_its_origin_could_matter(small_brief):
    from grader.render.html import split_stylesheet

    html, css = small_brief
    split, sheet = split_stylesheet(html, css)
    assert sheet == css and css not in split and FONTS_SLOT in split
    other_css = html.replace("</head>", "<style>p { color: red }</style></head>")
    for variant_html, variant_css in (
            (other_css, css),
            (html.replace("</head>", '<link rel="stylesheet" href="x.css"></head>'), css),
            (html.replace("<body>", '<body style="margin: 0">'), css),
            (html.replace(css, css + "p { color: red !important }"),
             css + "p { color: red !important }"),
            (html.replace(css, "@import 'more.css';\n" + css), "@import 'more.css';\n" + css),
            (html.replace(css, ""), css),  # a user's template without the inline css
            # ...or with rules of its own after it, in the same <style>: moved to the user
            # origin, brief.css would lose to them whatever their specificity.
            (html.replace(css + "\n</style>", css + "\np { color: blue }\n</style>"), css)):
        assert split_stylesheet(variant_html, variant_css) == (variant_html, None)


def test_font_set_keeps_a_few_stylesheets():
    fonts = pdf_module.FontSet()
    folder = Path(str(pdf_module.font_folders()[1])).parent
    sheets = [fonts.stylesheet(f"p {{ margin: {i}px }}", base_dir=folder, allowed=[folder])
              for i in range(pdf_module.STYLESHEETS_KEPT + 2)]
    assert fonts.stylesheet("p { margin: 5px }", base_dir=folder, allowed=[folder]) \
        is sheets[-1]
    assert len(fonts._stylesheets) == pdf_module.STYLESHEETS_KEPT
    assert fonts.stylesheet("p { margin: 0px }", base_dir=folder, allowed=[folder]) \
        is not sheets[0]  # dropped, parsed again


def test_the_build_hands_weasyprint_brief_css_parsed_not_inline(tmp_path, monkeypatch):
    from grader.pipeline import assess
    from grader.render import render
    from grader.render.html import shared_environment, stylesheet

    lines = (ROOT / "evidence.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    evidence = tmp_path / "evidence.csv"
    evidence.write_text("".join(lines[:7]), encoding="utf-8")
    handed, layouts = [], []
    real_parse, real_lay_out = pdf_module.parse_html, pdf_module.lay_out
    monkeypatch.setattr(pdf_module, "parse_html",
                        lambda text, **kw: handed.append(text) or real_parse(text, **kw))
    monkeypatch.setattr(pdf_module, "lay_out", lambda document, fonts, sheets=():
                        layouts.append(sheets) or real_lay_out(document, fonts, sheets))
    out = render(assess(evidence), {}, "2026-05-28", ("pdf",))
    css = stylesheet(shared_environment(None))
    assert out["brief.pdf"].startswith(b"%PDF") and len(handed) == 1
    assert css not in handed[0] and "table.sof" not in handed[0]
    assert len(layouts) == 1 and len(layouts[0]) == 1
    assert layouts[0][0] is pdf_module.packaged_fonts().stylesheet(
        css, base_dir=pdf_module.font_folders()[1].parent,
        allowed=[pdf_module.font_folders()[1].parent])


def _computed_pseudo_styles(monkeypatch) -> list:
    from weasyprint import css as weasyprint_css

    seen = []
    real = weasyprint_css.StyleFor.set_computed_styles

    def spy(self, element, parent, root=None, pseudo_type=None, **kwargs):
        seen.append(pseudo_type)
        return real(self, element, parent, root=root, pseudo_type=pseudo_type, **kwargs)

    monkeypatch.setattr(weasyprint_css.StyleFor, "set_computed_styles", spy)
    return seen


@pytest.mark.skipif(weasyprint.__version__ not in pdf_module.TRIMMED_UA_FOR,
                    reason="the trimmed user-agent stylesheet is for WeasyPrint 70 only")
def test_the_trimmed_user_agent_stylesheet_renders_the_same_without_six_styles_per_element(
        small_brief, monkeypatch):
    html, css = small_brief
    seen = _computed_pseudo_styles(monkeypatch)
    trimmed = _render(html, stylesheet=css, builtin=True)
    pseudo = [p for p in seen if p and not p.startswith("@")]
    assert pseudo and set(pseudo) <= {"marker", "before", "after"}  # no footnote or note
    assert pseudo.count("marker") == html.count("<li")
    seen.clear()
    monkeypatch.setattr(pdf_module, "trimmed_ua_stylesheet", lambda: None)  # WeasyPrint's own
    stock = _render(html, stylesheet=css, builtin=True)
    assert {"footnote-call", "note-call"} <= set(seen)
    assert stock == trimmed
    seen.clear()
    monkeypatch.undo()
    seen = _computed_pseudo_styles(monkeypatch)
    assert _render(html, stylesheet=css) == trimmed  # a user's templates: the stock sheet
    assert {"footnote-call", "note-call"} <= set(seen)


@pytest.mark.parametrize("css", [".n { float: footnote }", ".n { position: note(side) }",
                                 "p.n { display: list-item }", ".n { FLOAT: Footnote }"])
def test_a_document_that_may_use_the_trimmed_rules_gets_the_whole_stylesheet(css):
    folder = Path(str(pdf_module.font_folders()[1])).parent
    html = f"<html><head><style>{css}</style></head><body><p class=n>Note</p></body></html>"
    document = pdf_module.parse_html(html, base_dir=folder, allowed=[folder])
    assert type(document) is weasyprint.HTML
    document = pdf_module.parse_html(PAGES_HTML, base_dir=folder, allowed=[folder], css=css)
    assert type(document) is weasyprint.HTML
    plain = pdf_module.parse_html(PAGES_HTML, base_dir=folder, allowed=[folder])
    assert (type(plain) is not weasyprint.HTML) == (pdf_module.trimmed_ua_stylesheet()
                                                    is not None)


def test_the_trimmed_stylesheet_is_for_known_versions_only(monkeypatch):
    pdf_module.trimmed_ua_stylesheet.cache_clear()
    try:
        monkeypatch.setattr(pdf_module, "TRIMMED_UA_FOR", {"0.0"})
        assert pdf_module.trimmed_ua_stylesheet() is None
        folder = Path(str(pdf_module.font_folders()[1])).parent
        assert type(pdf_module.parse_html(PAGES_HTML, base_dir=folder, allowed=[folder])) \
            is weasyprint.HTML
    finally:
        pdf_module.trimmed_ua_stylesheet.cache_clear()


def test_the_pdf_html_has_no_indentation_between_block_tags(small_brief, monkeypatch):
    from grader.render.html import compact_whitespace

    html, css = small_brief
    handed = []
    real_parse = pdf_module.parse_html
    monkeypatch.setattr(pdf_module, "parse_html",
                        lambda text, **kw: handed.append(text) or real_parse(text, **kw))
    compacted = _render(html, stylesheet=css, builtin=True)
    assert html.count("<tr>\n") > 5 and "<tr>\n" not in handed[0] and "</td>\n" not in handed[0]
    assert "</span> <span" in handed[0]  # whitespace between inline elements is kept
    _render(html, stylesheet=css)  # a user's templates are handed over as they are
    assert "<tr>\n" in handed[1]
    monkeypatch.setattr(pdf_module, "parse_html", real_parse)
    import grader.render.html as html_module

    monkeypatch.setattr(html_module, "compact_whitespace", lambda text, css="": text)
    assert _render(html, stylesheet=css, builtin=True) == compacted  # the same PDF, indented
    assert compact_whitespace("<td>\n  <pre>\n  x</pre></td>") == \
        "<td>\n  <pre>\n  x</pre></td>"
    assert compact_whitespace("<td>\n  <b>x</b></td>", ".x { white-space: pre-wrap }") == \
        "<td>\n  <b>x</b></td>"
    assert compact_whitespace("<td>\n  <b>x</b> <i>y</i>\n</td>") == "<td><b>x</b> <i>y</i>\n</td>"
