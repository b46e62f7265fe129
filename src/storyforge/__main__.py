"""`python -m storyforge` runs the command line."""

from .cli import run

run()
