"""Photos for the web: every raster image the site publishes is processed (``process``: upright,
no metadata, a few widths, WebP beside the original format), cached by content hash and given
to pages as ``ImageInfo`` (``store``). Pages show them through ``render.pictures``."""
