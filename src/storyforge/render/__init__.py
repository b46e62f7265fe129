"""Rendering into memory: pages, feeds, calendars, share cards, the wall. Nothing here writes the site."""
