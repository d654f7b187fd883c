"""grader: rate the evidence cited in a medical debate and render a brief."""

__version__ = "0.1.0"
