"""The theme's words translated once, when a template is compiled, instead of on every page.

Jinja2's i18n extension calls ``gettext`` through the template context each time a page shows a
translated string: a dozen words in the frame of every page, thousands of pages, and the calls
cost more than the rest of a page's text. A build has one language, fixed before any template is
compiled, so this extension looks the words up while compiling: ``{{ _("Home") }}`` and a
``{% trans %}`` block without a count become constants in the compiled template. They behave
exactly as the i18n extension's "newstyle" gettext does — the translation is markup, ``%(name)s``
placeholders take escaped values, ``%%`` is a percent sign — and whatever cannot be folded (a
plural with its count, ``_()`` with arguments, a string that is not a valid format) is left to
the extension's usual run-time call.

The compiled code then depends on the catalogs: whoever keeps compiled templates between builds
must key them on the catalogs as well (``pages.Renderer`` does, with ``i18n.translation_stamp``).
"""

from __future__ import annotations

import gettext
from collections.abc import Iterable, Iterator
from typing import Any

from jinja2 import nodes
from jinja2.ext import InternationalizationExtension
from jinja2.lexer import Token, TokenStream

#: the names a template calls for a translation of one string
_GETTEXT_NAMES = ("_", "gettext")


class CompiledTranslations(InternationalizationExtension):
    """Jinja2's i18n extension, with strings without a count translated at compile time."""

    def filter_stream(self, stream: TokenStream) -> Iterable[Token]:
        """``_("text")`` and ``gettext("text")`` → ``"translated"|safe``: the same markup value."""
        return _folded(list(stream), self._translated)

    def _make_node(self, singular: str, plural: str | None, context: str | None,
                   variables: dict[str, nodes.Expr], plural_expr: nodes.Expr | None,
                   vars_referenced: bool, num_called_num: bool) -> nodes.Output:
        text = self._translated(singular) if plural is None and context is None else None
        if text is None:
            return super()._make_node(singular, plural, context, variables, plural_expr, vars_referenced,
                                      num_called_num)
        if not variables:
            return nodes.Output([nodes.MarkSafeIfAutoescape(nodes.Const(text % {}))])
        pairs = [nodes.Pair(nodes.Const(key), value) for key, value in variables.items()]
        return nodes.Output([nodes.Mod(nodes.MarkSafeIfAutoescape(nodes.Const(text)), nodes.Dict(pairs))])

    def _translated(self, message: str) -> str | None:
        """The translation of ``message``; None when the run-time call must stay (not a valid format)."""
        translations: gettext.NullTranslations | None = getattr(self.environment, "compile_translations", None)
        if translations is None:
            return None
        text = translations.gettext(message)
        try:
            text % {}  # what newstyle gettext does to every string: one it cannot format is left to it
        except (ValueError, TypeError, KeyError):
            return None
        return text


def _folded(tokens: list[Token], translated: Any) -> Iterator[Token]:
    index = 0
    while index < len(tokens):
        token = tokens[index]
        window = tokens[index:index + 4]
        if (len(window) == 4 and token.type == "name" and token.value in _GETTEXT_NAMES
                and (index == 0 or tokens[index - 1].type not in ("dot", "pipe"))
                and [t.type for t in window[1:]] == ["lparen", "string", "rparen"]):
            text = translated(window[2].value)
            if text is not None:
                yield Token(token.lineno, "string", text % {})
                yield Token(token.lineno, "pipe", "|")
                yield Token(token.lineno, "name", "safe")
                index += 4
                continue
        yield token
        index += 1
