"""Flows and prompts shipped as data (the default hospital flow)."""
