"""Read once: a build opens the evidence, --rubric and --since files once each (issue 13)."""

from __future__ import annotations

import builtins
import io
import os
from pathlib import Path

from conftest import make_rows

from grader.build import BuildOptions, build_brief
from grader.read import Source
from grader.rubric import default_rubric_text

ROWS = [dict(position_id="p1", position="Claim.", advocate="Smith", study_id="Doe2020",
             citation="Doe J. 2020.", design="rct", n="240", stance="supports"),
        dict(position_id="p1", position="Claim.", advocate="Smith", study_id="Roe2019",
             citation="Roe R. 2019.", design="cohort",
             n="5000", stance="opposes")]


def _count_opens(monkeypatch, watched: list[Path]) -> dict[Path, int]:
    counts = {p.resolve(): 0 for p in watched}

    def counting(real):
        def wrapper(file, *args, **kwargs):
            if isinstance(file, str | os.PathLike):
                target = Path(os.fsdecode(file)).resolve()
                if target in counts:
                    counts[target] += 1
            return real(file, *args, **kwargs)
        return wrapper

    monkeypatch.setattr(os, "open", counting(os.open))
    monkeypatch.setattr(io, "open", counting(io.open))
    monkeypatch.setattr(builtins, "open", counting(builtins.open))
    return counts


def test_a_build_opens_each_input_once(tmp_path, monkeypatch):
    csv = tmp_path / "evidence.csv"
    csv.write_text(make_rows(*ROWS), encoding="utf-8")
    old = tmp_path / "old.csv"
    old.write_text(make_rows(ROWS[0]), encoding="utf-8")
    rubric = tmp_path / "rubric.toml"
    rubric.write_text(default_rubric_text(), encoding="utf-8")
    counts = _count_opens(monkeypatch, [csv, old, rubric])
    result = build_brief(BuildOptions(csv=csv, out_dir=tmp_path / "out", formats=("json",),
                                      rubric_path=rubric, since=old, force=True))
    assert not result.skipped
    assert counts == {csv.resolve(): 1, old.resolve(): 1, rubric.resolve(): 1}
    assert isinstance(result.assessment.evidence.source, Source)
    assert result.assessment.evidence.sha256 == result.assessment.evidence.source.sha256


def test_assess_takes_bytes_or_a_source_as_well_as_a_path(tmp_path):
    from grader.pipeline import assess

    csv = tmp_path / "evidence.csv"
    data = make_rows(*ROWS).encode()
    csv.write_bytes(data)
    by_path = assess(csv)
    by_bytes = assess(data)
    by_source = assess(Source(str(csv), data, "evidence.csv"))
    for a in (by_bytes, by_source):
        assert a.evidence.sha256 == by_path.evidence.sha256
        assert a.ratings.equals(by_path.ratings)


def test_the_sha256_of_what_was_read_is_computed_when_asked_and_score_never_asks(tmp_path):
    import hashlib

    from grader.pipeline import rate_only

    csv = tmp_path / "evidence.csv"
    csv.write_text(make_rows(*ROWS), encoding="utf-8")
    rated = rate_only(csv)
    assert "sha256" not in vars(rated.evidence.source)  # the score CSV does not hash 42 MB
    data = csv.read_bytes()
    assert rated.evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert Source("x", data).sha256 == rated.evidence.source.sha256
