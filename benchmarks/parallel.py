#!/usr/bin/env python3
"""Experiment (issue #7): render a large brief as two halves on two cores and join them.

    python benchmarks/parallel.py [benchmarks/work/n2000/out-html/brief.html]

The brief's HTML is cut between position sections into two documents with the same
<head> (CSS, fonts); the second starts its page counter where the first ends (taken from
a first, sequential render of half one, as a real implementation would have to). Both
halves render at once in two processes (PDF/A-3a, tagged), pypdf joins them, and the script
reports wall time against one process rendering the whole, then what the joined file lost.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "work" / "parallel"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
RENDER = """
import sys, weasyprint
doc = weasyprint.HTML(filename=sys.argv[1]).render(pdf_variant="pdf/a-3a", pdf_tags=True)
doc.write_pdf(sys.argv[2], pdf_variant="pdf/a-3a", pdf_tags=True)
print(len(doc.pages))
"""


def split(html: str) -> tuple[str, str]:
    """Two documents: page 1, map and the first half of the sections; then the rest."""
    head, body = html.split("<body>", 1)
    body = body.rsplit("</body>", 1)[0]
    articles = [m.start() for m in re.finditer(r'<article class="position', body)]
    cut = articles[len(articles) // 2]
    first = body[:cut] + "</section>"
    second = '<section class="positions">' + body[cut:]
    return (head + "<body>" + first + "</body></html>",
            head + "<body>" + second + "</body></html>")


def run(*jobs: tuple[Path, Path]) -> tuple[float, list[int]]:
    started = time.perf_counter()
    procs = [subprocess.Popen([PYTHON, "-c", RENDER, str(h), str(p)], stdout=subprocess.PIPE,
                              text=True) for h, p in jobs]
    pages = [int(proc.communicate()[0].strip() or 0) for proc in procs]
    return time.perf_counter() - started, pages


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else \
        ROOT / "benchmarks" / "work" / "n2000" / "out-html" / "brief.html"
    WORK.mkdir(parents=True, exist_ok=True)
    one, two = split(source.read_text(encoding="utf-8"))
    (WORK / "a.html").write_text(one, encoding="utf-8")
    whole_s, (whole_pages,) = run((source, WORK / "whole.pdf"))
    # The second half must know where the first ends, for "page N of M".
    first_s, (a_pages,) = run((WORK / "a.html", WORK / "a.pdf"))
    two = two.replace("<body>", f'<body style="counter-reset: page {a_pages}">', 1)
    (WORK / "b.html").write_text(two, encoding="utf-8")
    both_s, pages = run((WORK / "a.html", WORK / "a.pdf"), (WORK / "b.html", WORK / "b.pdf"))

    import pypdf

    started = time.perf_counter()
    writer = pypdf.PdfWriter()
    for part in ("a.pdf", "b.pdf"):
        writer.append(str(WORK / part), import_outline=True)
    writer.write(str(WORK / "joined.pdf"))
    join_s = time.perf_counter() - started
    joined = pypdf.PdfReader(str(WORK / "joined.pdf"))
    whole = pypdf.PdfReader(str(WORK / "whole.pdf"))
    root, whole_root = joined.trailer["/Root"], whole.trailer["/Root"]
    last = joined.pages[-1].extract_text()
    print(f"whole, one process:        {whole_s:6.1f} s, {whole_pages} pages")
    print(f"two halves, two processes: {both_s:6.1f} s + join {join_s:.1f} s "
          f"({pages[0]} + {pages[1]} pages); ratio {(both_s + join_s) / whole_s:.2f}")
    print(f"  (+ {first_s:.1f} s for the sequential pass that finds where half two starts)")
    print(f"structure tree kept: {'/StructTreeRoot' in root} "
          f"(whole: {'/StructTreeRoot' in whole_root})")
    print(f"outline entries: {len(joined.outline)} (whole: {len(whole.outline)})")
    print(f"PDF/A metadata kept: {'/Metadata' in root}; attachments: "
          f"{len(joined.attachments)} (whole: {len(whole.attachments)})")
    total = re.search(r"page (\d+) of (\d+)", last)
    print(f"last page footer: {total.group(0) if total else '(none)'} "
          f"(should be page {len(joined.pages)} of {len(joined.pages)})")


if __name__ == "__main__":
    main()
