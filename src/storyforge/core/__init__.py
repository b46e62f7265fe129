"""The content model: site.yaml, content types, files → entries → the site as plain values."""
