"""Fixes for the dockerignore.* checks."""
