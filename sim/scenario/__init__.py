"""The scenario: the schema of every key an analyst can set, strict YAML loading with file and line, the
distributions durations are drawn from, the generated reference, and calibration of inputs from data.

First in the one-way flow scenario → model → analysis → experiment → outputs → cli: it imports only the
shared vocabulary.
"""
