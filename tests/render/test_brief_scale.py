"""The brief stays readable from one study to hundreds: nothing cut, headers repeated."""

from __future__ import annotations

import csv
import random

import pypdf
import pytest

from grader.build import BuildOptions, build_brief

DESIGNS = ["rct", "crossover_rct", "cohort", "case_series", "meta_analysis", "animal",
           "narrative_review", "single_arm_trial", "pharmacovigilance", "survey"]


def _write(path, studies: int, positions: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    ids = [f"Author{i:03d}{2000 + i % 25}" for i in range(studies)]
    rows = []
    for i, sid in enumerate(ids):
        p = i % positions
        rows.append({
            "position_id": f"claim-{p:02d}", "advocate": ["Side A", "Side B et al."][p % 2],
            "position": f"Claim {p}: a statement one side makes about treatment {p}.",
            "study_id": sid, "design": rng.choice(DESIGNS),
            "citation": f"Author{i:03d} X, Other Y: A study with a long enough title, part "
                        f"{i}. J Med {2000 + i % 25}; {i}:1–10",
            "n": str(rng.randint(3, 3000)),
            "stance": rng.choice(["supports", "supports", "opposes"]),
        })
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return ids


def _pages(tmp_path, studies: int, positions: int):
    ids = _write(tmp_path / "evidence.csv", studies, positions)
    build_brief(BuildOptions(csv=tmp_path / "evidence.csv", out_dir=tmp_path / "out",
                             force=True))
    reader = pypdf.PdfReader(tmp_path / "out" / "brief.pdf")
    return ids, [page.extract_text() for page in reader.pages]


def test_one_study_brief_is_complete(tmp_path):
    ids, pages = _pages(tmp_path, 1, 1)
    text = "\n".join(pages)
    assert ids[0] in text
    for heading in ("Bottom line", "Evidence map", "Appendix: evidence profile", "Methods"):
        assert heading in text
    assert f"page {len(pages)} of {len(pages)}" in pages[-1]


@pytest.mark.slow
def test_hundreds_of_citations_break_across_pages_with_headers(tmp_path):
    ids, pages = _pages(tmp_path, 160, 40)
    appendix = [i for i, t in enumerate(pages) if "Appendix: evidence profile" in t
                and "One row per study" in t][0]
    references = [i for i, t in enumerate(pages) if t.lstrip().startswith("References")][0]
    profile = pages[appendix:references]  # the reference list follows the profile
    assert len(profile) >= 3
    for page in profile:  # the header row repeats on every page of the long table
        assert "Study Design n Starts RoB" in " ".join(page.split())
    profile_text = "\n".join(profile)
    assert all(sid in profile_text for sid in ids)  # no row lost or cut off
    summary = [t for t in pages[:3] if "Claim, and who argues it Verdict and certainty"
               in " ".join(t.split())]
    assert len(summary) >= 2  # the positions table continues with its header
