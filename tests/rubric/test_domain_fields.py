"""grader.rate.DOMAIN_FIELDS: one typed place names where each domain's result lives."""

from __future__ import annotations

from conftest import assess_rows

from grader.rate import DOMAIN_FIELDS, DomainResult
from grader.vocab import DOMAINS


def test_every_domain_has_its_four_fields_in_the_ratings_frame(tmp_path):
    a = assess_rows(tmp_path, [{"design": "rct", "n": "40", "blinded": "none"}])
    assert list(DOMAIN_FIELDS) == list(DOMAINS)
    named = {column for fields in DOMAIN_FIELDS.values() for column in fields.columns}
    assert named <= set(a.ratings.columns)
    # No other column of the ratings is a domain's: names are not built anywhere else.
    suffixed = {c for c in a.ratings.columns
                if c.endswith(("_source", "_reason", "_rule")) and not c.startswith("upgrade")}
    assert suffixed <= named


def test_of_reads_one_citations_result_as_a_typed_value(tmp_path):
    a = assess_rows(tmp_path, [{"design": "rct", "n": "40", "blinded": "none",
                                "outcome": "subjective", "stopped_early": "no"}])
    record = a.ratings.iloc[0].to_dict()
    result = DOMAIN_FIELDS["risk_of_bias"].of(record)
    assert isinstance(result, DomainResult)
    assert (result.judgment, result.source) == (record["risk_of_bias"],
                                                record["risk_of_bias_source"])
    assert result.source == "derived" and result.rule and result.reason
