"""Time WeasyPrint's phases on grader's PDF path, warm, and profile the warm render (#18).

    python benchmarks/profile_render.py                 # the seed
    python benchmarks/profile_render.py --n 300         # 300 synthetic citations (run.py's)
    python benchmarks/profile_render.py --csv my.csv --repeats 3 --top 40

The brief's HTML is built as `grader.render.render` builds it for the PDF, then rendered
`--repeats` times in this one process through the very phase functions `render_pdf` is
made of (grader/render/pdf.py): parse (`HTML(...)`), lay out (`HTML.render`: styles,
boxes, pages) and write (`Document.write_pdf`: drawing, tags, PDF/A-3a). The first render
pays the process's one-off costs (imports, fonts, Pango caches, anything grader keeps per
process); the last is reported, as `grader watch` pays it. Then one more warm render runs
under cProfile and the top cumulative WeasyPrint-side functions are listed, with the three
stages of the layout phase that WeasyPrint does not time itself.

Standard library, grader and its dependencies only; run it under the project's .venv.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import os
import pstats
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

DATE = "2026-05-28"
LIBRARIES = ("weasyprint", "pydyf", "tinycss2", "cssselect2", "tinyhtml5", "fontTools",
             "pyphen")
STAGES = {  # (file suffix, function name): what it stands for
    ("weasyprint/css/__init__.py", "get_all_computed_styles"): "styles: cascade set-up",
    ("weasyprint/css/__init__.py", "style_for"): "styles: computed per element",
    ("weasyprint/formatting_structure/build.py", "build_formatting_structure"): "boxes",
    ("weasyprint/layout/__init__.py", "layout_document"): "layout (pages)",
    ("weasyprint/draw/__init__.py", "draw_page"): "draw",
    ("weasyprint/pdf/tags.py", "add_tags"): "tags",
    ("weasyprint/pdf/fonts.py", "build_fonts_dictionary"): "fonts (subsetting)",
}


def evidence_for(args) -> Path:
    """The CSV to profile: --csv, the generator's N citations, or the seed."""
    if args.csv:
        return Path(args.csv)
    if args.n:
        import run  # benchmarks/run.py: the same synthetic evidence as the benchmark

        path = run.WORK / f"n{args.n}" / "evidence.csv"
        if not path.exists():
            run.generate(args.n, path)
        return path
    return ROOT / "evidence.csv"


def prepare(csv: Path) -> dict:
    """Everything `render()` hands the PDF phases, built the way it builds them."""
    from grader.build import BuildOptions, load_settings
    from grader.pipeline import assess
    from grader.render.context import Settings, build_context
    from grader.render.html import (
        builtin_templates,
        render_html,
        shared_environment,
        stylesheet,
    )

    settings, _, _ = load_settings(BuildOptions(csv=csv))
    assessment = assess(csv)
    context = build_context(assessment, Settings(**settings), DATE, None)
    env = shared_environment(None)
    html = render_html(context, env, inline_fonts=False)
    return {"html": html, "base_dir": builtin_templates(), "allowed": [builtin_templates()],
            "attachment": assessment.evidence.data, "attachment_name": csv.name,
            "stylesheet": stylesheet(env), "builtin": True}  # as render() passes it


def render_phases(inputs: dict) -> tuple[dict[str, tuple[float, float]], bytes]:
    """One render by `render_pdf`: {phase: (wall s, CPU s)} and the PDF.

    The render's garbage is collected afterwards, untimed, as `grader watch` does after
    its report.
    """
    import gc

    from grader.render import pdf

    times: dict = {}
    data = pdf.render_pdf(inputs["html"], base_dir=inputs["base_dir"],
                          allowed=inputs["allowed"], attachment=inputs["attachment"],
                          attachment_name=inputs["attachment_name"], date=DATE,
                          stylesheet=inputs["stylesheet"], timings=times,
                          builtin=inputs["builtin"])
    gc.collect()
    return times, data


def bare_phases(path: Path) -> tuple[dict[str, tuple[float, float]], bytes]:
    """One bare WeasyPrint render of an HTML file, as benchmarks/run.py's WARM_BARE does it
    (collector on, no grader code), timed by the same phases."""
    import weasyprint

    times = {}

    def timed(name, call):
        wall, cpu = time.perf_counter(), time.process_time()
        out = call()
        times[name] = (time.perf_counter() - wall, time.process_time() - cpu)
        return out

    document = timed("parse", lambda: weasyprint.HTML(filename=path))
    rendering = timed("render", lambda: document.render(pdf_variant="pdf/a-3a",
                                                        pdf_tags=True))
    data = timed("write_pdf", lambda: rendering.write_pdf(pdf_variant="pdf/a-3a",
                                                          pdf_tags=True))
    return times, data


def _where(key) -> str:
    filename, line, name = key
    for lib in LIBRARIES:
        if f"/{lib}/" in filename:
            return f"{lib}/{filename.split(f'/{lib}/', 1)[1]}:{line} {name}"
    return f"{filename}:{line} {name}"


def profile(once, top: int) -> str:
    """The top cumulative library functions of one more warm render, and the stages."""
    profiler = cProfile.Profile()
    profiler.enable()
    once()
    profiler.disable()
    stats = pstats.Stats(profiler)
    raw = stats.stats  # {(file, line, name): (primitive calls, calls, tottime, cumtime, callers)}
    total = stats.total_tt
    out = [f"cProfile of one warm render: {stats.total_calls:,} calls, {total:.2f} s "
           "under the profiler (inflated, read the shares)", "",
           "stage                              cumulative   share   calls"]
    for (suffix, name), label in STAGES.items():
        found = [v for k, v in raw.items() if k[0].endswith(suffix) and k[2] == name]
        if found:
            cum = sum(v[3] for v in found)
            calls = sum(v[1] for v in found)
            out.append(f"{label:<34} {cum:9.2f} s {cum / total:6.1%} {calls:7,}")
    out += ["", f"top {top} library functions by cumulative time",
            "  cumulative    tottime      calls  function"]
    library = [(k, v) for k, v in raw.items() if any(f"/{lib}/" in k[0] for lib in LIBRARIES)]
    for key, (_, calls, tottime, cumtime, _) in sorted(library, key=lambda kv: -kv[1][3])[:top]:
        out.append(f"{cumtime:10.2f} s {tottime:8.2f} s {calls:10,}  {_where(key)}")
    out += ["", f"top {top} library functions by own time",
            "     tottime      calls  function"]
    for key, (_, calls, tottime, _, _) in sorted(library, key=lambda kv: -kv[1][2])[:top]:
        out.append(f"{tottime:10.2f} s {calls:10,}  {_where(key)}")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, help="synthetic citations (benchmarks/run.py)")
    parser.add_argument("--csv", help="an evidence file (default: the seed)")
    parser.add_argument("--bare-v1", metavar="KEY", choices=("seed", "300", "2000"),
                        help="instead, a bare WeasyPrint render of the v1 baseline HTML "
                             "(benchmarks/baseline), the yardstick of issue 18")
    parser.add_argument("--repeats", type=int, default=2, help="renders before the profile")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--pdf", help="write the last PDF here")
    args = parser.parse_args()
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1780000000")

    import pypdf  # a grader dependency

    if args.bare_v1:
        import run

        path = run.v1_baseline(args.bare_v1)
        once = functools.partial(bare_phases, path)
        print(f"bare WeasyPrint on the v1 {args.bare_v1} HTML ({path.stat().st_size / 1e3:,.0f}"
              f" kB); load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    else:
        csv = evidence_for(args)
        started = time.perf_counter()
        inputs = prepare(csv)
        once = functools.partial(render_phases, inputs)
        print(f"{csv.relative_to(ROOT) if csv.is_relative_to(ROOT) else csv}: HTML "
              f"{len(inputs['html']) / 1e3:,.0f} kB built in "
              f"{time.perf_counter() - started:.2f} s (cold); load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    runs = []
    for i in range(args.repeats):
        times, data = once()
        pages = len(pypdf.PdfReader(io.BytesIO(data)).pages)
        runs.append(times)
        print(f"render {i + 1} ({'cold' if i == 0 else 'warm'}): " + ", ".join(
            f"{k} {w:.3f} s (CPU {c:.3f})" for k, (w, c) in times.items())
            + f"; total {sum(w for w, _ in times.values()):.3f} s, {pages} pages, "
            f"{len(data) / 1e3:,.0f} kB")
    if args.pdf:
        Path(args.pdf).write_bytes(data)
    if len(runs) > 2:
        warm = runs[1:]
        print("warm median: " + ", ".join(
            f"{k} {statistics.median(r[k][0] for r in warm):.3f} s" for k in warm[0])
            + f"; total {statistics.median(sum(w for w, _ in r.values()) for r in warm):.3f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process so far: {peak:,.0f} MB; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not args.no_profile:
        print()
        print(profile(once, args.top))


if __name__ == "__main__":
    main()
