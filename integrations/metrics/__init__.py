"""Metrics sources for canary analysis: one Protocol (``base.py``), a module per vendor."""
