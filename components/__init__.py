"""Reusable UI: the shell, the page registry and guard, session handling, live updates, form helpers."""
