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

import jinja2
from jinja2 import nodes, pass_context
from jinja2.ext import InternationalizationExtension
from jinja2.lexer import Token, TokenStream
from jinja2.runtime import Context
from markupsafe import Markup

#: the names a template calls for a translation of one string
_GETTEXT_NAMES = ("_", "gettext")
#: the filter a folded string goes through: markup when autoescaping, like gettext's answer
_MARKUP_FILTER = "storyforge_i18n_markup"


@pass_context
def _as_markup(context: Context, text: str) -> str:
    """Not ``|safe``: Jinja2 would fold that into the constant, and a constant joined to another
    (``_("a & b") ~ "!"``) loses its markup and is escaped, where gettext's answer is not. A filter
    that takes the context is never folded; it costs a plain call."""
    return Markup(text) if context.eval_ctx.autoescape else text  # noqa: S704 - the theme's catalogs, as gettext


class CompiledTranslations(InternationalizationExtension):
    """Jinja2's i18n extension, with strings without a count translated at compile time."""

    def __init__(self, environment: jinja2.Environment) -> None:
        super().__init__(environment)
        environment.filters[_MARKUP_FILTER] = _as_markup

    def filter_stream(self, stream: TokenStream) -> Iterable[Token]:
        """``_("text")`` and ``gettext("text")`` → the translated text as markup, as gettext returns it."""
        return _folded(list(stream), self._translated)

    def _make_node(self, singular: str, plural: str | None, context: str | None,
                   variables: dict[str, nodes.Expr], plural_expr: nodes.Expr | None,
                   vars_referenced: bool, num_called_num: bool) -> nodes.Output:
        text = self._translated(singular, variables) if plural is None and context is None else None
        if text is None:
            return super()._make_node(singular, plural, context, variables, plural_expr, vars_referenced,
                                      num_called_num)
        if not variables:
            return nodes.Output([nodes.MarkSafeIfAutoescape(nodes.Const(text % {}))])
        pairs = [nodes.Pair(nodes.Const(key), value) for key, value in variables.items()]
        return nodes.Output([nodes.Mod(nodes.MarkSafeIfAutoescape(nodes.Const(text)), nodes.Dict(pairs))])

    def _translated(self, message: str, names: Iterable[str] = ()) -> str | None:
        """The translation of ``message``; None when the run-time call must stay: a string that does
        not format with the placeholders given (``names``) fails there, as it always has."""
        translations: gettext.NullTranslations | None = getattr(self.environment, "compile_translations", None)
        if translations is None:
            return None
        text = translations.gettext(message)
        try:
            text % dict.fromkeys(names, 0)  # what newstyle gettext does to every string
        except (ValueError, TypeError, KeyError):
            return None
        return text


def _folded(tokens: list[Token], translated: Any) -> Iterator[Token]:
    """``_("text")`` → ``"translated"|markup``; ``_("text %(n)s", n=x)`` → ``("translated"|markup % {"n": x})``:
    newstyle gettext's own steps (markup, then ``%`` with the keyword arguments), done in the template."""
    index = 0
    while index < len(tokens):
        token = tokens[index]
        call = _gettext_call(tokens, index) if token.type == "name" and token.value in _GETTEXT_NAMES else None
        text = translated(call[1], [name for name, _ in call[2]]) if call is not None else None
        if call is None or text is None:
            yield token
            index += 1
            continue
        end, _, arguments = call
        line = token.lineno
        if not arguments:
            yield from (Token(line, "string", text % {}), Token(line, "pipe", "|"), Token(line, "name", _MARKUP_FILTER))
        else:
            yield from (Token(line, "lparen", "("), Token(line, "string", text), Token(line, "pipe", "|"),
                        Token(line, "name", _MARKUP_FILTER), Token(line, "mod", "%"), Token(line, "lbrace", "{"))
            for number, (name, value) in enumerate(arguments):
                if number:
                    yield Token(line, "comma", ",")
                yield from (Token(line, "string", name), Token(line, "colon", ":"), *value)
            yield from (Token(line, "rbrace", "}"), Token(line, "rparen", ")"))
        index = end + 1


_OPENING = {"lparen": "rparen", "lbracket": "rbracket", "lbrace": "rbrace"}


def _gettext_call(tokens: list[Token], index: int) -> tuple[int, str, list[tuple[str, list[Token]]]] | None:
    """At ``_(`` (not ``x._(`` nor ``|_``): the index of its ``)``, its string, and its keyword
    arguments as (name, tokens of the value); None for any other shape, which stays a run-time call."""
    if index and tokens[index - 1].type in ("dot", "pipe"):
        return None
    if len(tokens) < index + 4 or tokens[index + 1].type != "lparen" or tokens[index + 2].type != "string":
        return None
    message, position = tokens[index + 2].value, index + 3
    arguments: list[tuple[str, list[Token]]] = []
    while position < len(tokens):
        kind = tokens[position].type
        if kind == "rparen":
            return position, message, arguments
        if kind != "comma" or position + 3 >= len(tokens) or tokens[position + 1].type != "name" \
                or tokens[position + 2].type != "assign":
            return None  # a positional argument, or something this does not read: left to run time
        name, position = tokens[position + 1].value, position + 3
        value: list[Token] = []
        depth = 0
        while position < len(tokens):
            kind = tokens[position].type
            if depth == 0 and kind in ("comma", "rparen"):
                break
            depth += 1 if kind in _OPENING else -1 if kind in _OPENING.values() else 0
            value.append(tokens[position])
            position += 1
        if not value:
            return None
        arguments.append((name, value))
    return None
