"""Every ``<img>`` of a page that shows one of the site's processed images becomes a ``<picture>``:
WebP widths for browsers that take them, the original format's widths as the fallback, the
image's ``width`` and ``height`` (so the page does not jump as it loads), ``sizes``, and
``loading="lazy"`` for all but the first picture of the page's ``<main>``.

Done on the finished HTML, once per page, so story bodies (Markdown images), the theme's photos
and a site's own templates are treated alike. The HTML is the theme's (autoescaped) or the
sanitizer's, whose attribute values are always quoted; a page read ``data.images`` when it had
any ``<img>``, so the build cache re-renders it when an image it might show changes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin

#: the widths a picture is shown at when its tag does not say: the theme's reading column
DEFAULT_SIZES = "(max-width: 46rem) 100vw, 44rem"

_IMG = re.compile(r"<img\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.IGNORECASE)
_ATTR = re.compile(r"([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'=<>`]+)))?")
_MAIN = re.compile(r"<main\b", re.IGNORECASE)


@dataclass(frozen=True)
class ImageInfo:
    """A processed image as pages show it: its size and its files (site paths, no leading
    slash), narrowest first; ``fallback`` in the source's format, ``modern`` in WebP."""

    path: str
    width: int
    height: int
    fallback: tuple[tuple[int, str], ...]  # (width, path)
    modern: tuple[tuple[int, str], ...]
    fallback_type: str
    size: int  # bytes of the file at ``path`` (feed enclosures give it)
    source: str = ""  # the content hash of the image it was made from (a share card draws from that)


def responsive(page_html: str, images: Mapping[str, ImageInfo], page_url: str, base_path: str) -> str:
    """The page with each of its processed images as a ``<picture>``; other images as they are."""
    main = _MAIN.search(page_html)
    main_at = main.start() if main else 0
    seen_in_main = False
    pieces: list[str] = []
    last = 0
    for match in _IMG.finditer(page_html):
        attrs = _attributes(match.group(1))
        info = images.get(_site_path(attrs.get("src", ""), page_url, base_path))
        if info is None:
            continue
        lazy = match.start() > main_at and seen_in_main
        seen_in_main = seen_in_main or match.start() > main_at
        pieces += [page_html[last:match.start()], _picture(attrs, info, base_path, lazy)]
        last = match.end()
    pieces.append(page_html[last:])
    return "".join(pieces)


def _picture(attrs: dict[str, str], info: ImageInfo, base_path: str, lazy: bool) -> str:
    import html  # html.entities is a large table: imported by a page with pictures, not by every build

    width, height = info.width, info.height
    if "width" in attrs and attrs["width"].isdigit():  # the theme's display size (an avatar's 48 px)
        shown = int(attrs["width"])
        sizes = f"{shown}px"
        if not attrs.get("height", "").isdigit():
            attrs["height"] = str(max(1, round(height * shown / width)))
    else:
        sizes = attrs.pop("sizes", DEFAULT_SIZES)
        attrs["width"], attrs["height"] = str(width), str(height)
    attrs["src"] = base_path + info.path
    attrs["srcset"] = _srcset(info.fallback, base_path)
    attrs["sizes"] = sizes
    # a missing alt stays missing: `storyforge check` and the gates name it
    attrs["loading"] = "lazy" if lazy else "eager"
    attrs["decoding"] = "async"
    shown_attrs = "".join(f' {name}="{html.escape(value)}"' for name, value in attrs.items())
    return (f'<picture><source type="image/webp" srcset="{html.escape(_srcset(info.modern, base_path))}" '
            f'sizes="{html.escape(sizes)}"><img{shown_attrs}></picture>')


def _srcset(files: tuple[tuple[int, str], ...], base_path: str) -> str:
    return ", ".join(f"{base_path}{path} {width}w" for width, path in files)


def _attributes(text: str) -> dict[str, str]:
    import html

    found: dict[str, str] = {}
    for match in _ATTR.finditer(text):
        name = match.group(1).lower()
        value = next((v for v in match.groups()[1:] if v is not None), "")
        found.setdefault(name, html.unescape(value))
    return found


def _site_path(src: str, page_url: str, base_path: str) -> str:
    """The image's path in the output (no leading slash) for a ``src`` as a page writes it."""
    if not src or "://" in src or src.startswith(("//", "data:")):
        return ""
    absolute = urljoin(base_path + page_url.lstrip("/"), src.split("#")[0].split("?")[0])
    return absolute[len(base_path):] if absolute.startswith(base_path) else ""
