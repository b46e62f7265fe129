"""Which column of a form export holds which field, recognised by what its header means.

Form services write the owner's questions as headers ("Tell us about your experience",
"Can we publish this on our website?"), so an exact list of names is not enough. Each field
has, in this order of strength:

1. the names given in site.yaml (``moderation.columns``), matched exactly;
2. exact names (``DEFAULT_COLUMNS``): our own form's, and common export headers;
3. phrases (``PHRASES``): groups of word starts that must all appear in the header, each with a
   weight, in English, French, German and Spanish (the languages the project ships). A
   negative weight says a word points elsewhere ("show your *name*" is the name choice, not
   the name).

Every (header, field) pair gets its best score; the pairs are then taken strongest first, one
field per header and one header per field. Headers are compared without case, accents or
punctuation, so ``Your story``, ``your_story`` and ``YOUR STORY:`` are the same.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from storyforge.core.config import SUBMISSION_COLUMNS, SiteConfig
from storyforge.errors import ModerationError

CONFIGURED, EXACT = 1000, 500
#: a header must score at least this to be taken by meaning
THRESHOLD = 10

#: headers of common form-service exports (and of the share-your-story form), per field
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "received_at": ("received_at", "timestamp", "submitted at", "submission date", "date submitted", "submitted",
                    "created at", "created_at", "created", "date", "received", "submit date (utc)", "_date",
                    "completion time", "horodateur", "zeitstempel", "marca temporal"),
    "name": ("name", "your name", "full name", "customer name", "first and last name", "author"),
    "email": ("email", "email address", "e-mail", "your email", "your email address", "contact email",
              "contact_email", "_replyto"),
    "title": ("title", "story title", "headline", "subject", "give your story a title"),
    "story": ("story", "your story", "body", "review", "your review", "testimonial", "message", "comments",
              "feedback", "tell us your story"),
    "rating": ("rating", "stars", "star rating", "score", "your rating", "rating out of 5", "rating 1-5"),
    "product": ("product", "product or service", "what did you buy", "what did you buy?", "service", "item"),
    "town": ("town", "your town", "city", "location", "where do you live"),
    "photo": ("photo", "photo url", "photo link", "picture"),
    "order": ("order", "order number", "order id", "order reference", "receipt number"),
    "booking": ("booking", "booking reference", "booking number", "reservation"),
    "consent_publish": ("consent_publish", "consent", "may we publish your story", "permission to publish",
                        "publish", "i agree"),
    "consent_name": ("consent_name", "show my name as", "name display", "how should we show your name",
                     "how may we show your name"),
    "consent_town": ("consent_town", "show my town", "may we show your town"),
    "consent_photo": ("consent_photo", "show my photo", "may we show your photo"),
    "incentive": ("incentive", "did you receive anything", "did you receive anything for writing this"),
    "relationship": ("relationship", "connection", "are you connected to us", "connection to the business"),
    "honeypot": ("honeypot", "website", "_gotcha", "bot-field"),
    "lang": ("lang", "language", "langue", "sprache", "idioma", "lengua"),
}

_SHOW = ("show", "display", "credit", "appear", "afficher", "affiche", "anzeig", "zeig", "nennen", "mostrar",
         "aparecer")
_ALLOW = ("publish", "permission", "consent", "agree", "allow", "accept", "happy", "may we", "can we", "ok to",
          "publier", "publication", "autoris", "accord", "consent", "veroffentlich", "einverstanden", "zustimm",
          "erlaub", "publicar", "publique", "autoriz", "acepto", "consiento", "permiso")

#: field → ((word starts that must all appear, weight), ...); accents are removed before matching
PHRASES: dict[str, tuple[tuple[tuple[str, ...], int], ...]] = {
    "received_at": ((("submit",), 30), (("submission",), 25), (("timestamp",), 40), (("completion",), 30),
                    (("created",), 25), (("received",), 25), (("date",), 15), (("time",), 10), (("start",), -8),
                    (("modified",), -20), (("birth",), -40), (("visit",), -20), (("horodat",), 40),
                    (("envoy",), 20), (("datum",), 15), (("zeitstempel",), 40), (("eingereicht",), 30),
                    (("fecha",), 15), (("marca", "temporal"), 40), (("enviad",), 20)),
    "name": ((("name",), 20), (("nom",), 20), (("nombre",), 20), (("vorname",), 20), (("who", "are", "you"), 15),
             *((((w,), -30)) for w in (*_SHOW, "how", "comment", "wie", "como", "business", "company",
                                        "product", "file", "respondent", "form", "entreprise", "firma")),),
    "email": ((("email",), 40), (("mail",), 30), (("courriel",), 40), (("correo",), 40), (("contact",), 10)),
    "title": ((("title",), 30), (("headline",), 30), (("subject",), 20), (("titre",), 30), (("titel",), 30),
              (("titulo",), 30), (("sum", "up"), 20), (("one", "line"), 15)),
    "story": ((("story",), 30), (("experience",), 30), (("review",), 25), (("testimonial",), 30),
              (("tell", "us"), 25), (("message",), 20), (("feedback",), 25), (("comment",), 15),
              (("histoire",), 30), (("temoignage",), 30), (("avis",), 25), (("racont",), 25),
              (("erfahrung",), 30), (("geschichte",), 30), (("erzahl",), 25), (("nachricht",), 20),
              (("historia",), 30), (("experiencia",), 30), (("opinion",), 25), (("resena",), 25),
              (("cuent",), 25), (("title",), -40), (("titre",), -40), (("rate",), -25), (("rating",), -25),
              (("star",), -25), (("publi",), -30), (("name",), -30), (("permission",), -30), (("consent",), -30),
              (("agree",), -30), (("can we",), -30), (("may we",), -30), (("website",), -20)),
    "rating": ((("rating",), 40), (("rate",), 35), (("stars",), 40), (("star",), 35), (("score",), 25),
               (("out", "of"), 15), (("note",), 20), (("noter",), 30), (("etoile",), 40), (("sterne",), 40),
               (("bewert",), 25), (("punktzahl",), 30), (("puntu",), 30), (("valora",), 30), (("estrella",), 40),
               (("calific",), 35), (("recommend",), -20), (("start",), -60), (("time",), -30), (("date",), -30)),
    "product": ((("product",), 30), (("service",), 20), (("buy",), 25), (("bought",), 25), (("purchas",), 25),
                (("item",), 15), (("produit",), 30), (("achet",), 25), (("produkt",), 30), (("gekauft",), 25),
                (("producto",), 30), (("servicio",), 20), (("compr",), 25)),
    "town": ((("town",), 30), (("city",), 30), (("location",), 25), (("where", "live"), 25), (("village",), 25),
             (("ville",), 30), (("stadt",), 30), (("wohnort",), 30), (("ciudad",), 30), (("localidad",), 30),
             *((((w,), -40)) for w in _SHOW)),
    "photo": ((("photo",), 30), (("picture",), 30), (("image",), 25), (("upload",), 15), (("foto",), 30),
              (("bild",), 30), (("imagen",), 30), *((((w,), -40)) for w in (*_SHOW, "may", "can", "use"))),
    "order": ((("order",), 30), (("receipt",), 30), (("invoice",), 30), (("commande",), 30), (("bestell",), 30),
              (("pedido",), 30), (("factur",), 25), (("rechnung",), 25)),
    "booking": ((("booking",), 30), (("reservation",), 30), (("buchung",), 30), (("reserv",), 25)),
    "consent_publish": (*((((w,), 25)) for w in _ALLOW), (("website",), 10), (("site",), 5),
                        (("name",), -30), (("nom",), -30), (("town",), -30), (("city",), -30), (("photo",), -30),
                        (("ville",), -30), (("foto",), -30), (("email", "you"), -30), (("newsletter",), -40),
                        (("contact", "you"), -30), (("terms",), -10)),
    "consent_name": (*((((w, "name"), 40)) for w in (*_SHOW, "how", "publish")),
                     *((((w, "nom"), 40)) for w in (*_SHOW, "comment")),
                     *((((w, "nombre"), 40)) for w in (*_SHOW, "como")), (("name", "wie"), 40),
                     (("name", "display"), 40)),
    "consent_town": (*((((w, t), 40)) for w in (*_SHOW, "publish") for t in ("town", "city", "location",
                                                                           "ville", "stadt", "ciudad")),),
    "consent_photo": (*((((w, p), 40)) for w in (*_SHOW, "publish", "use") for p in ("photo", "picture", "foto",
                                                                                   "image")),),
    "incentive": ((("incentive",), 40), (("receive", "anything"), 35), (("paid",), 25), (("discount",), 25),
                  (("gift",), 25), (("free",), 15), (("recu",), 25), (("erhalten",), 25), (("recibi",), 25)),
    "relationship": ((("relationship",), 40), (("connect",), 35), (("work", "for"), 25), (("employ",), 25),
                     (("staff",), 25), (("family",), 20), (("lien",), 25), (("beziehung",), 30),
                     (("relacion",), 30)),
    "honeypot": (),
    "lang": (),  # by its exact names only: "language" is too common a word in questions
}


def normalise(header: str) -> str:
    """Lower case, accents removed, punctuation as spaces: 'Ihre Erfahrung?' → 'ihre erfahrung'."""
    plain = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode("ascii")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain.lower()).split())


def _key(header: str) -> str:
    return normalise(header).replace(" ", "")


def meaning_score(header: str, name: str) -> int:
    """How strongly ``header`` reads as a question asking for ``name`` (below THRESHOLD: not at all)."""
    words = normalise(header).split()
    text = " ".join(words)
    best, penalty = 0, 0
    for starts, weight in PHRASES[name]:
        if all(any(w.startswith(s) for w in words) if " " not in s else s in text for s in starts):
            if weight < 0:
                penalty += weight
            else:
                best = max(best, weight)
    return best + penalty if best else 0


@dataclass
class ColumnMap:
    """field → header, the headers no field took, and how each was found (for ``--dry-run``)."""

    columns: dict[str, str] = field(default_factory=dict)
    unused: list[str] = field(default_factory=list)
    how: dict[str, str] = field(default_factory=dict)  # field → "site.yaml" | "name" | "meaning"


def resolve_columns(headers: list[str], config: SiteConfig, empty: frozenset[str] = frozenset()) -> ColumnMap:
    """The strongest reading of each header; site.yaml's names add to the defaults and win.

    ``empty`` are headers with no answer in any row (Microsoft Forms' account "Name" on an
    anonymous form): they lose to any column that holds something."""
    candidates: list[tuple[int, int, str, str]] = []  # (score, -position, field, header)
    for position, header in enumerate(headers):
        if not header.strip():
            continue
        key = _key(header)
        for name in SUBMISSION_COLUMNS:
            if name == "lang" and len(config.languages) < 2:
                continue  # a one-language site has no language to read: its exports map as they always did
            configured = config.moderation.columns.get(name, ())
            if any(_key(c) == key for c in configured):
                score = CONFIGURED
            elif any(_key(c) == key for c in DEFAULT_COLUMNS[name]):
                score = EXACT
            else:
                score = meaning_score(header, name)
            if score >= THRESHOLD:
                score = score // 100 if header in empty and score < CONFIGURED else score
                candidates.append((score, -position, name, header))
    chosen = ColumnMap()
    for score, _, name, header in sorted(candidates, reverse=True):
        if name in chosen.columns or header in chosen.columns.values():
            continue
        chosen.columns[name] = header
        chosen.how[name] = "site.yaml" if score == CONFIGURED else "name" if score == EXACT else "meaning"
    chosen.unused = [h for h in headers if h not in chosen.columns.values()]
    if "story" not in chosen.columns:
        example = next((h for h in headers if h.strip() and not h.startswith("#")), "Tell us about your visit")
        raise ModerationError(
            "no column holds the story — name its header in site.yaml, for example:\n"
            f"moderation:\n  columns:\n    story: {_yaml_text(example)}\n"
            f"the columns are: {', '.join(headers) or 'none'}")
    return chosen


def _yaml_text(text: str) -> str:
    """``text`` as a YAML double-quoted string (JSON's quoting is valid YAML)."""
    import json

    return json.dumps(text, ensure_ascii=False)
