"""Spiders generic over a target YAML."""
