"""Integrations kept at their 4.x import paths (see docs/upgrading.rst)."""
