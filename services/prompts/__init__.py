"""Prompts careline ships as audio: the catalog, its rendering with espeak-ng, music on hold (issue 8)."""
