"""`python -m storyforge` runs the command line."""

from .cli import main

raise SystemExit(main())
