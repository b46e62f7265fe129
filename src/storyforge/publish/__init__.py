"""The only code that writes the built site (and every other file storyforge writes) to disk."""
