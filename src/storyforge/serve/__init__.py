"""`storyforge serve`: the preview server, the watcher and live reload."""
