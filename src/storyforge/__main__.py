"""`python -m storyforge` runs the command line."""

from storyforge.cli import run

run()
