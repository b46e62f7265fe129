"""The questions ``storyforge submissions add`` asks in a terminal for what its options did not give."""

from __future__ import annotations

from collections.abc import Callable

PROMPTS: list[tuple[str, str]] = [
    ("story", "The story, in the customer's words (finish with an empty line)"),
    ("name", "Customer's name"),
    ("email", "Contact email (never published; Enter to skip)"),
    ("title", "A title (Enter to use the first sentence)"),
    ("rating", "Rating, 1 to 5 (Enter for none)"),
    ("product", "What it is about (Enter to skip)"),
    ("town", "Town (Enter to skip)"),
    ("consent_publish", "May we publish it? yes/no"),
    ("consent_name", "Show the name as: full / first-initial / anonymous"),
    ("consent_town", "May we show the town? yes/no"),
    ("consent_photo", "May we show a photo? yes/no"),
    ("incentive", "Did they receive anything for it? (Enter for nothing)"),
    ("relationship", "Are they connected to the business? (Enter for no)"),
    ("order", "Order number, to verify (Enter to skip)"),
    ("booking", "Booking reference, to verify (Enter to skip)"),
]


def ask_missing(values: dict[str, str], ask: Callable[[str], str] = input) -> dict[str, str]:
    """Ask in the terminal for every field not given on the command line."""
    answers = dict(values)
    for name, question in PROMPTS:
        if answers.get(name):
            continue
        if name == "story":
            lines = []
            print(f"{question}:")
            while (line := ask("  ")).strip():
                lines.append(line)
            answers[name] = "\n".join(lines)
        else:
            answers[name] = ask(f"{question}: ").strip()
    return answers
