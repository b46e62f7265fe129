"""storyforge: a static site generator for small businesses' customer stories, events and charity work."""

__version__ = "0.1.0"
