"""Sanitized customer HTML made valid and accessible: what the allow-list keeps can still be
wrong in place (a list item outside a list, text straight inside a list, a caption outside a
figure) or inaccessible (an image without alt text), which browsers show but assistive
technology stumbles over, and which accessibility checkers report as critical.

Repairs keep every word: misplaced elements become plain ``div``s, stray content of a list is
put in list items, and an image without alt text in a customer's story gets its title as alt
text, or an empty one (decorative: a screen reader skips it instead of reading out the file
name). The owner's own pages keep theirs missing, for ``storyforge check`` to report.

Most texts have nothing to repair (Markdown itself writes valid lists and images with alt
text); a cheap look decides, and only then is the fragment parsed (lxml) and written again.
"""

from __future__ import annotations

import re
from typing import Any

_SUSPECT = re.compile(r"<(img|li|dt|dd|summary|figcaption|ul|ol|dl)\b")
_LIST_PARENTS = {"li": ("ul", "ol"), "dt": ("dl",), "dd": ("dl",), "summary": ("details",),
                 "figcaption": ("figure",)}


def repair(fragment: str, fill_alt: bool = True) -> tuple[str, bool]:
    """(the fragment repaired, whether anything changed); unchanged fragments come back as given.

    ``fill_alt``: give images without alt text one. Yes for what customers wrote; no for the
    owner's pages, where ``storyforge check`` asks for a real description instead."""
    if not _SUSPECT.search(fragment):
        return fragment, False
    from lxml import html as lxml_html

    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    changed = ((fill_alt and _fix_images(root)) | _fix_misplaced(root) | _fix_lists(root, lxml_html)
               | _fix_definitions(root))
    if not changed:
        return fragment, False
    parts = [root.text or ""] + [lxml_html.tostring(child, encoding="unicode") for child in root]
    return "".join(parts), True


def _fix_images(root: Any) -> bool:
    changed = False
    for image in root.iter("img"):
        if image.get("alt") is None:
            image.set("alt", image.get("title") or "")
            changed = True
    return changed


def _fix_misplaced(root: Any) -> bool:
    """A list item, term, summary or caption whose parent cannot hold it becomes a plain block."""
    changed = False
    for tag, parents in _LIST_PARENTS.items():
        for element in list(root.iter(tag)):
            parent = element.getparent()
            if parent is None or parent.tag not in parents or (
                    tag == "summary" and parent.index(element) != 0) or (
                    tag == "figcaption" and element not in (parent[0], parent[-1])):
                element.tag = "div"
                changed = True
    return changed


def _fix_lists(root: Any, lxml_html: Any) -> bool:
    """A list holds only list items: anything else in it (text included) goes into one."""
    changed = False
    for listing in list(root.iter("ul", "ol")):
        if listing.text and listing.text.strip():
            item = lxml_html.Element("li")
            item.text, listing.text = listing.text, None
            listing.insert(0, item)
            changed = True
        for child in list(listing):
            if child.tag != "li":
                item = lxml_html.Element("li")
                child.addprevious(item)
                item.append(child)  # moves the child, with its tail, into the item
                changed = True
            elif child.tail and child.tail.strip():
                moved, child.tail = child.tail, None
                if len(child):
                    child[-1].tail = (child[-1].tail or "") + moved
                else:
                    child.text = (child.text or "") + moved
                changed = True
    return changed


def _fix_definitions(root: Any) -> bool:
    """A definition list that is not terms followed by their definitions becomes plain blocks."""
    changed = False
    for listing in list(root.iter("dl")):
        kinds = [child.tag for child in listing]
        valid = (not (listing.text or "").strip() and all(k in ("dt", "dd") for k in kinds)
                 and (not kinds or kinds[0] == "dt") and kinds[-1:] != ["dt"]
                 and not any((child.tail or "").strip() for child in listing))
        if not valid:
            for element in [listing, *listing]:
                if element.tag in ("dl", "dt", "dd"):
                    element.tag = "div"
            changed = True
    return changed
