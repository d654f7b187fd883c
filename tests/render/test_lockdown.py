"""Renderer lockdown: nothing is fetched from outside the templates, templates are sandboxed.

A real listener on 127.0.0.1 stands in for the network: no connection may arrive, neither
from hostile CSV cells nor from a hostile templates folder, and every refusal is logged.
"""

from __future__ import annotations

import base64
import io
import logging
import socket
import socketserver
import threading
from pathlib import Path

import jinja2
import pytest
from click.testing import CliRunner
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pypdf import PdfReader

from grader.cli import main
from grader.render.html import make_environment
from grader.render.pdf import RefusedURL, locked_fetcher

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQ"
                       "GAhKmMIQAAAABJRU5ErkJggg==")
HEADER = "position_id,position,advocate,study_id,citation,design,stance,characterization,notes"


class Listener(socketserver.ThreadingTCPServer):
    """A TCP listener that records every connection (HTTP, FTP or anything else)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.connections: list[bytes] = []
        super().__init__(("127.0.0.1", 0), _Record)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class _Record(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(2)
        try:
            self.server.connections.append(self.request.recv(300) or b"(nothing sent)")
        except OSError as exc:
            self.server.connections.append(repr(exc).encode())
        body = b"body { color: red }"
        self.request.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/css\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\n\r\n" + body)


@pytest.fixture(scope="module")
def listener():
    server = Listener()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def no_connections(listener):
    """The listener, checked to receive nothing during the test."""
    listener.connections.clear()
    yield listener
    assert listener.connections == [], "a request reached the listener"


def _quote(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"'


def _attachments(pdf: Path) -> list[str]:
    return sorted(PdfReader(io.BytesIO(pdf.read_bytes())).attachments)


def _refused(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "grader.render" and r.getMessage().startswith("refused to load ")]


# --- (a) hostile cells in the CSV --------------------------------------------------------


def test_hostile_csv_cells_are_escaped_and_fetch_nothing(tmp_path, no_connections, caplog):
    at = no_connections.address
    cells = {
        "position": f'<img src="http://{at}/position.png"> The drug works.',
        "advocate": f'<link rel="stylesheet" href="http://{at}/advocate.css">',
        "citation": f'<style>@import url(http://{at}/citation.css);</style> Doe J. 2020.',
        "characterization": f'<iframe src="http://{at}/frame"></iframe> url(http://{at}/u)',
        "notes": f'<img src="file:///etc/passwd"><object data="ftp://{at}/o"></object>'
                 f'<a rel="attachment" href="file:///etc/passwd">x</a>'
                 f'<div style="background:url(http://{at}/bg)">file:///etc/passwd</div>',
    }
    row = ["drug-x", cells["position"], cells["advocate"], "Doe2020", cells["citation"],
           "rct", "supports", cells["characterization"], cells["notes"]]
    (tmp_path / "evidence.csv").write_text(
        HEADER + "\n" + ",".join(_quote(c) for c in row) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    title = f'<img src="http://{at}/title.png">'
    with caplog.at_level(logging.WARNING):
        result = CliRunner().invoke(main, ["build", str(tmp_path / "evidence.csv"), "--out",
                                           str(out), "--format", "pdf,html,json,md",
                                           "--title", title, "-q"])
    assert result.exit_code == 0, result.output
    html = (out / "brief.html").read_text(encoding="utf-8")
    for cell in [*cells.values(), title]:
        assert cell not in html
    assert "&lt;img src=&#34;http://" in html
    assert "&lt;link rel=&#34;stylesheet&#34;" in html
    assert f"http://{at}/position.png" in html  # as text, escaped, never as a tag
    assert "<iframe" not in html and "<object" not in html
    # Escaped text is never fetched: nothing refused, nothing attached but the evidence.
    assert _refused(caplog) == []
    assert _attachments(out / "brief.pdf") == ["evidence.csv"]


# --- (b) a hostile templates folder ------------------------------------------------------


def _hostile_templates(root: Path, at: str) -> Path:
    folder = root / "shared" / "templates"
    folder.mkdir(parents=True)
    (root / "outside.png").write_bytes(PNG)
    (folder / "inside.png").write_bytes(PNG)
    (folder / "linked.png").symlink_to(root / "outside.png")
    (folder / "brief.css").write_text(f"""
@import url(http://{at}/import.css);
@font-face {{ font-family: Evil; src: url(ftp://{at}/font.ttf); }}
@font-face {{ font-family: Evil2; src: url(https://{at}/font.woff2); }}
body {{ background: url(http://{at}/background.png); font-family: Evil, Evil2, sans-serif; }}
h1 {{ display: list-item; list-style-image: url(file:///etc/hostname); }}
h1::before {{ content: url(gopher://{at}/content); }}
.out {{ background-image: url(../../outside.png); }}
@page {{ background: url(//{at}/protocol-relative.png); }}
""", encoding="utf-8")
    (folder / "_page1.html.j2").write_text(f"""
<style>@import url(http://{at}/style-import.css);</style>
<h1 class="out">{{{{ title }}}}</h1>
<img alt="" src="file:///etc/hostname"><img alt="" src="../../outside.png">
<img alt="" src="http://{at}/img.png"><img alt="" src="linked.png">
<img alt="inside" src="inside.png">
<object data="http://{at}/object"></object><embed src="http://{at}/embed">
<iframe src="http://{at}/iframe"></iframe>
<link rel="stylesheet" href="http://{at}/link.css">
<link rel="attachment" href="file:///etc/hostname">
<a rel="attachment" href="http://{at}/attachment">attachment</a>
<svg width="10" height="10"><image href="http://{at}/svg-image" width="10" height="10"/></svg>
<div style="background: url(http://{at}/inline-style)">styled</div>
""", encoding="utf-8")
    return folder


@pytest.mark.renderer_warnings  # the refusals are the point: the test checks them
def test_a_hostile_templates_folder_fetches_nothing_and_refusals_are_logged(
        tmp_path, no_connections, caplog):
    at = no_connections.address
    folder = _hostile_templates(tmp_path, at)
    (tmp_path / "evidence.csv").write_text(HEADER + "\np1,Claim.,Smith,Doe2020,Doe J. 2020.,"
                                           "rct,supports,,\n", encoding="utf-8")
    out = tmp_path / "out"
    with caplog.at_level(logging.WARNING):
        result = CliRunner().invoke(main, ["build", str(tmp_path / "evidence.csv"), "--out",
                                           str(out), "--format", "pdf", "--templates",
                                           str(folder), "-q"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    refused = {m.split()[3].rstrip(":") for m in _refused(caplog)}
    outside = (tmp_path / "outside.png").resolve().as_uri()
    expected = {
        f"http://{at}/{name}" for name in (
            "style-import.css", "background.png", "img.png", "object", "embed",
            "link.css", "attachment", "svg-image", "inline-style")
    } | {f"ftp://{at}/font.ttf", f"https://{at}/font.woff2", f"gopher://{at}/content",
         f"file://{at}/protocol-relative.png", "file:///etc/hostname", outside,
         (folder / "linked.png").as_uri()}
    assert expected <= refused, sorted(expected - refused)
    assert not any("inside.png" in url for url in refused)  # the folder's own files load
    assert _attachments(out / "brief.pdf") == ["evidence.csv"]


# --- the fetcher itself ------------------------------------------------------------------


@pytest.fixture
def fetcher(tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "inside.png").write_bytes(PNG)
    (tmp_path / "outside.png").write_bytes(PNG)
    return locked_fetcher([folder]), folder


def _fetched(fetcher, url: str) -> bytes:
    response = fetcher.fetch(url)
    try:
        return response.read()
    finally:
        response.close()


@pytest.mark.parametrize("url", [
    "{folder}/inside.png",
    "file://localhost{folder}/inside.png",
    "{folder}/sub/../inside.png",
    "data:image/png;base64," + base64.b64encode(PNG).decode(),
])
def test_the_fetcher_serves_the_folder_and_data_uris(fetcher, url):
    locked, folder = fetcher
    url = url.format(folder=folder.as_uri().removeprefix("file://")
                     if url.startswith("file://localhost") else folder.as_uri())
    assert _fetched(locked, url) == PNG


@pytest.mark.parametrize("url", [
    "file:///etc/hostname",
    "FILE:///etc/hostname",
    "{folder}/../outside.png",
    "{folder}/%2e%2e/outside.png",
    "{folder}/missing.png",
    "{folder}",
    "file://example.invalid{path}/inside.png",
    "file://127.0.0.1{path}/inside.png",
    "http://127.0.0.1:9/x.css",
    "https://example.invalid/x.css",
    "ftp://127.0.0.1:9/x",
    "gopher://127.0.0.1:9/x",
    "javascript:alert(1)",
    "about:blank",
    "//127.0.0.1:9/x",
])
def test_the_fetcher_refuses_everything_else_without_a_lookup(fetcher, url, monkeypatch,
                                                             caplog):
    def no_lookup(*args, **kwargs):
        raise AssertionError(f"network lookup for {args}")

    for name in ("gethostbyname", "gethostbyname_ex", "getaddrinfo", "create_connection"):
        monkeypatch.setattr(socket, name, no_lookup)
    locked, folder = fetcher
    url = url.format(folder=folder.as_uri(), path=folder.as_posix())
    with caplog.at_level(logging.WARNING, logger="grader.render"), \
            pytest.raises(RefusedURL):
        locked.fetch(url)
    assert _refused(caplog) == [f"refused to load {url}: only the templates folder and "
                                "data: URIs are allowed"]


# --- (c) templates: autoescape and the sandbox -------------------------------------------


def test_built_in_and_user_environments_autoescape_and_users_are_sandboxed(tmp_path):
    builtin = make_environment()
    user = make_environment(tmp_path)
    assert builtin.autoescape is True and user.autoescape is True
    assert not builtin.sandboxed
    assert isinstance(user, ImmutableSandboxedEnvironment)
    assert user.overlay(autoescape=False).sandboxed  # Markdown keeps the sandbox
    assert issubclass(jinja2.exceptions.SecurityError, jinja2.TemplateError)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "evidence.csv").write_text(HEADER + "\np1,Claim.,Smith,Doe2020,Doe J. 2020.,"
                                           "rct,supports,,\n", encoding="utf-8")
    (tmp_path / "templates").mkdir()
    return tmp_path


def _build_with(project: Path, page: str):
    (project / "templates" / "_page1.html.j2").write_text(page, encoding="utf-8")
    return CliRunner().invoke(main, ["build", str(project / "evidence.csv"), "--out",
                                     str(project / "out"), "--format", "html,md", "--templates",
                                     str(project / "templates"), "-q"])


@pytest.mark.parametrize(("page", "line", "message"), [
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", 1,
     "access to attribute '__class__' of 'str' object is unsafe."),
    ("<p>\n{{ cycler.__init__.__globals__ }}", 2,
     "access to attribute '__init__' of 'type' object is unsafe."),
    ("{{ lipsum.__globals__['os'].system('true') }}", 1,
     "access to attribute '__globals__' of 'function' object is unsafe."),
    ("{{ settings.__class__ }}", 1,
     "access to attribute '__class__' of 'Settings' object is unsafe."),
    ("{{ '{0.__class__}'.format(title) }}", 1,
     "access to attribute '__class__' of 'str' object is unsafe."),
    ("{{ self._TemplateReference__context }}", 1,
     "access to attribute '_TemplateReference__context' of 'TemplateReference' object"),
    ("{{ positions.pop() }}", 1, "access to attribute 'pop' of 'list' object is unsafe."),
])
def test_sandbox_escapes_fail_cleanly_naming_the_template(project, page, line, message):
    result = _build_with(project, page)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    where = f"grader: {project / 'templates' / '_page1.html.j2'}:{line}: template error: "
    assert result.stderr.startswith(where + message), result.stderr
    assert result.stderr.rstrip("\n").endswith(
        "(templates given with --templates run sandboxed: use the values and filters the "
        "brief provides)")
    assert len(result.stderr.splitlines()) == 1
    assert not (project / "out").exists()


@pytest.mark.parametrize(("page", "message"), [
    ("{{ range(10**9) | list }}", "OverflowError: Range too big."),
    ("{{ 1 / 0 }}", "ZeroDivisionError: division by zero"),
    ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "RecursionError: "),
    ("{% include '/etc/passwd' %}", "no template named '/etc/passwd' in the templates folder"),
    ("{% include '../../outside.html' %}", "no template named '../../outside.html'"),
])
def test_any_failure_of_a_user_template_is_a_template_error(project, page, message):
    result = _build_with(project, page)
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.stderr and "Traceback" not in result.output
    assert result.stderr.startswith(
        f"grader: {project / 'templates' / '_page1.html.j2'}:1: template error: {message}")


@pytest.mark.parametrize("name", ["_page1.html.j2", "brief.css", "secret.j2"])
def test_a_template_linking_outside_the_folder_is_refused(project, tmp_path_factory, name):
    secret = tmp_path_factory.mktemp("home") / "id_rsa"
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n", encoding="utf-8")
    (project / "templates" / name).symlink_to(secret)
    if name == "secret.j2":
        (project / "templates" / "_page1.html.j2").write_text('{% include "secret.j2" %}')
    result = CliRunner().invoke(main, ["build", str(project / "evidence.csv"), "--out",
                                       str(project / "out"), "--format", "html", "--templates",
                                       str(project / "templates"), "-q"])
    assert result.exit_code == 1, result.output
    assert result.stderr == (f"grader: {project / 'templates' / name}: template error: a link "
                             f"to {secret.resolve()}, outside the templates folder; refused: "
                             "copy the file into the folder instead\n")
    assert not (project / "out").exists()


def test_links_inside_the_templates_folder_are_followed(project):
    (project / "templates" / "parts").mkdir()
    (project / "templates" / "parts" / "hello.j2").write_text("<p>hello from a part</p>")
    (project / "templates" / "linked").symlink_to(project / "templates" / "parts")
    result = _build_with(project, '{% include "linked/hello.j2" %}')
    assert result.exit_code == 0, result.output
    assert "hello from a part" in (project / "out" / "brief.html").read_text(encoding="utf-8")

