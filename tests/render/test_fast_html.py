"""fast_html: the brief's own HTML parsed into the tree tinyhtml5 builds, or refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import html5_tree, tree_rows

from grader.render import fast_html
from grader.render import pdf as pdf_module

weasyprint = pytest.importorskip("weasyprint")
ROOT = Path(__file__).resolve().parents[2]
HEAD = "<!DOCTYPE html>\n<html lang='en'>\n<head><meta charset='utf-8'><title>t</title></head>\n"

ACCEPTED = [
    HEAD + "<body><p>plain</p></body>\n</html>\n",
    HEAD + "<body>\n<h1 class=title>A &amp; B&shy;C &lt;x&gt; &#39;q&#39; &#x263A; caf\u00e9</h1>"
           "<p>line<br>two<br/>three</p>\n</body>\n</html>\n\n",
    HEAD + "<body><table class=sof><colgroup><col class=a><col></colgroup>\n<thead><tr>"
           "<th scope=col>A</th></tr></thead>\n<tbody><tr><td colspan=2 nowrap>x</td></tr>"
           "</tbody></table></body></html>",
    HEAD + "<body><ul>\n<li><b>a</b> <a href='https://doi.org/10.1/x?a=1&amp;b=2'>d</a>"
           "</li>\n</ul><img alt='' src='data:image/svg+xml;base64,AA=='></body></html>",
    HEAD.replace("<title>", "<style>p > b { color: red }</style><title>")
    + "<body>\r\n<div\r\nclass=x>cr\rlf</div></body></html>",
    HEAD + "<body><p>x</p>y\n</body>\n</html>",  # after </body>: after body's last text
    HEAD + "<body>hi</body> </html>",
    HEAD + "<body><p title='&#34;&#39;&amp;&copy;'>&#x20AC; &#8364; &hellip;</p></body></html>",
]

REFUSED = {
    "a block inside a paragraph": HEAD + "<body><p>a<div>b</div></p></body></html>",
    "a row straight in a table": HEAD + "<body><table><tr><td>x</td></tr></table></body></html>",
    "an unclosed list item": HEAD + "<body><ul><li>a<li>b</ul></body></html>",
    "text in a table": HEAD + "<body><table>loose<tbody></tbody></table></body></html>",
    "a comment": HEAD + "<body><!-- note --><p>x</p></body></html>",
    "inline SVG": HEAD + "<body><svg viewBox='0 0 1 1'></svg></body></html>",
    "a self-closed div": HEAD + "<body><div/></body></html>",
    "a bare ampersand in an attribute": HEAD + "<body><a href='?a=1&b=2'>x</a></body></html>",
    "no head": "<html><body><p>x</p></body></html>",
    "no html": HEAD.split("<html")[0] + "<body><p>x</p></body>",
    "text after the body": HEAD + "<body><p>x</p></body>tail</html>",
    "a link in a link": HEAD + "<body><a href=a>1<a href=b>2</a></a></body></html>",
    "misnested tags": HEAD + "<body><b><i>x</b></i></body></html>",
    "an unknown tag": HEAD + "<body><details>x</details></body></html>",
    "a NUL": HEAD + "<body><p>a\x00b</p></body></html>",
    "a duplicate attribute": HEAD + "<body><p class=a class=b>x</p></body></html>",
    "unclosed at the end": HEAD + "<body><p>x</p>",
    "a cell outside a row": HEAD + "<body><table><tbody><td>x</td></tbody></table></body></html>",
    "a control character by number": HEAD + "<body><p>a&#1;b</p></body></html>",
    "a noncharacter by number": HEAD + "<body><p>a&#xFFFF;b</p></body></html>",
    "a control character in an attribute": HEAD + "<body><p title='a&#1;b'>x</p></body></html>",
    "a legacy reference run on in an attribute": HEAD + "<body><p title='&copyx;'>x</p></body>"
                                                        "</html>",
    "an unknown reference": HEAD + "<body><p>&notit;</p></body></html>",
    "a doubled equals sign": HEAD + "<body><p class==a>x</p></body></html>",
    "a non-ASCII attribute name": HEAD + "<body><p data-\u0130=a>x</p></body></html>",
}


@pytest.mark.parametrize("html", ACCEPTED)
def test_accepted_html_gives_the_tree_tinyhtml5_gives(html):
    root = fast_html.parse(html)
    assert root is not None
    assert tree_rows(root) == tree_rows(html5_tree(html))


@pytest.mark.parametrize("html", REFUSED.values(), ids=REFUSED.keys())
def test_html_whose_html5_tree_could_differ_is_refused(html):
    assert fast_html.parse(html) is None


def _brief_html(csv: Path) -> tuple[str, str]:
    """A brief of grader's own templates as render() hands it to render_pdf: HTML, CSS."""
    from grader.pipeline import assess
    from grader.render.context import Settings, build_context
    from grader.render.html import make_environment, render_html, stylesheet

    env = make_environment()
    context = build_context(assess(csv), Settings(), "2026-05-28", None)
    return render_html(context, env, inline_fonts=False), stylesheet(env)


def test_the_seed_brief_takes_the_fast_path_and_gives_the_same_tree():
    from grader.render.html import compact_whitespace, split_stylesheet

    html, css = split_stylesheet(*_brief_html(ROOT / "evidence.csv"))
    html = compact_whitespace(html, css)  # what render_pdf hands the parser
    root = fast_html.parse(html)
    assert root is not None, "the templates now write HTML that fast_html refuses"
    assert tree_rows(root) == tree_rows(html5_tree(html))


def _render(html: str, css: str) -> bytes:
    templates = Path(str(pdf_module.font_folders()[1])).parent
    return pdf_module.render_pdf(html, base_dir=templates, allowed=[templates],
                                 attachment=b"a,b\n", attachment_name="e.csv",
                                 date="2026-05-28", stylesheet=css, builtin=True)


@pytest.mark.skipif(weasyprint.__version__ not in pdf_module.PARSED_TREE_FOR,
                    reason="the pre-parsed document is for WeasyPrint 70 only")
def test_a_pre_parsed_brief_renders_to_the_same_bytes(tmp_path, monkeypatch):
    lines = (ROOT / "evidence.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "evidence.csv").write_text("".join(lines[:7]), encoding="utf-8")
    html, css = _brief_html(tmp_path / "evidence.csv")
    parsed = []
    real = fast_html.parse
    monkeypatch.setattr(fast_html, "parse", lambda text: parsed.append(1) or real(text))
    fast = _render(html, css)
    assert parsed == [1]
    monkeypatch.setattr(pdf_module, "PARSED_TREE_FOR", set())
    assert _render(html, css) == fast
    assert parsed == [1]  # other versions: WeasyPrint parses, fast_html is not asked


def test_a_user_template_is_parsed_by_weasyprint(monkeypatch):
    asked = []
    monkeypatch.setattr(fast_html, "parse", lambda text: asked.append(text))
    folder = Path(str(pdf_module.font_folders()[1])).parent
    _render_user = pdf_module.render_pdf(ACCEPTED[0], base_dir=folder, allowed=[folder],
                                         attachment=b"a,b\n", attachment_name="e.csv",
                                         date="2026-05-28", builtin=False)
    assert _render_user.startswith(b"%PDF") and asked == []


@pytest.mark.skipif(weasyprint.__version__ not in pdf_module.PARSED_TREE_FOR,
                    reason="the pre-parsed document is for WeasyPrint 70 only")
def test_a_pre_parsed_document_has_the_base_url_weasyprint_gives_it():
    folder = Path(str(pdf_module.font_folders()[1])).parent
    parsed = pdf_module.parse_html(ACCEPTED[0], base_dir=folder, allowed=[folder],
                                   fast_parse=True)
    stock = weasyprint.HTML(string=ACCEPTED[0], base_url=str(folder) + "/")
    assert hasattr(type(parsed), "from_tree")
    assert (parsed.base_url, parsed.media_type) == (stock.base_url, stock.media_type)
    assert tree_rows(parsed.etree_element) == tree_rows(stock.etree_element)
