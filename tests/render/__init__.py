"""Tests of the committee formats (docx, FHIR), a package so its conftest keeps its own name."""
