"""GUIDE.md (written by `grader init`): every column, and a design picker from the rubric."""

from __future__ import annotations

import tomllib

from grader.rubric import default_rubric_text
from grader.scaffold import guide_text
from grader.vocab import COLUMNS, ENUM_ALIASES


def test_guide_has_every_column_with_its_allowed_values():
    guide = guide_text()
    for column in COLUMNS:
        row = next(line for line in guide.splitlines() if line.startswith(f"| `{column.name}` |"))
        for value in column.values:
            assert f"`{value}`" in row
        for alias in ENUM_ALIASES.get(column.name, {}):
            assert alias in row


def test_guide_picker_is_generated_from_the_rubric_examples():
    guide = guide_text()
    raw = tomllib.loads(default_rubric_text())["designs"]
    for design_id, spec in raw.items():
        for example in spec.get("examples", []):
            assert f"| {example} | `{design_id}` |" in guide
    for example, design in (("a registry analysis", "cohort"),
                            ("an open-label extension", "single_arm_trial"),
                            ("a disproportionality analysis", "pharmacovigilance")):
        assert f"| {example} | `{design}` |" in guide


def test_every_design_has_a_picker_example():
    raw = tomllib.loads(default_rubric_text())["designs"]
    assert all(spec.get("examples") for spec in raw.values())
