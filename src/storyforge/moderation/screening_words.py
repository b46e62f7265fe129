"""The screening's word lists for each shipped language: strong language and advertising phrases.

Screening flags and never decides, so these lists are starting points, not verdicts; a site adds
its own words with ``moderation.profanity`` in site.yaml. A submission is screened with the lists
of the site's languages (``language`` and ``languages``) and always with English, which every site
was screened with before there were other lists. Not with every list: the same letters are a rude
word in one language and an everyday one in another (French *con* is Spanish *with*; *bite* and
*mist* are plain English), and a customer of a French site writes in French or English far more
often than in Hebrew. Words here are whole words; their common inflections are listed as words
of their own, as French, German and Spanish inflect unlike English. Hebrew words may carry the
one-letter prefixes Hebrew writes joined to a word (``HEBREW_PREFIXES``).
"""

from __future__ import annotations

#: strong language, by the language's primary subtag
PROFANITY: dict[str, tuple[str, ...]] = {
    "en": ("arse", "arsehole", "asshole", "bastard", "bitch", "bollocks", "bullshit", "cock", "crap", "cunt",
           "dick", "dickhead", "fuck", "fucker", "fucking", "motherfucker", "piss", "pissed", "prick", "shit",
           "shite", "slut", "twat", "wanker", "whore"),
    "fr": ("bordel", "branleur", "chier", "connard", "connards", "connasse", "conne", "couilles", "emmerdeur",
           "enculé", "enculée", "enculés", "enfoiré", "enfoirée", "enfoirés", "fils de pute", "foutre", "merde",
           "merdique", "nique", "niquer", "pétasse", "pute", "putain", "putains", "salaud", "salauds", "salope",
           "salopes", "ta gueule", "trou du cul"),
    "de": ("arsch", "arschloch", "arschlöcher", "drecksau", "fick", "ficken", "fotze", "hure", "huren",
           "hurensohn", "kacke", "leck mich", "miststück", "scheiß", "scheiss", "scheiße", "scheisse", "schlampe",
           "verfickt", "vollidiot", "wichser"),
    "es": ("cabrón", "cabrona", "cabrones", "capullo", "chingada", "chingar", "cojones", "coño", "gilipollas",
           "hijo de puta", "hijoputa", "jodido", "jodida", "joder", "maricón", "mierda", "pendeja", "pendejo",
           "polla", "puta", "putas", "puto", "zorra"),
    "he": ("בן זונה", "זונה", "זונות", "זין", "חרא", "כוס אמק", "כוסעמק", "מזדיין", "מניאק", "שרמוטה",
           "תזדיין", "תזדייני"),
}

#: advertising and the come-ons of spam, by language (whole phrases, any case)
SPAM_PHRASES: dict[str, tuple[str, ...]] = {
    "en": ("viagra", "cialis", "casino", "crypto", "cryptocurrency", "bitcoin", "forex", "payday loan",
           "payday loans", "backlink", "backlinks", "seo services", "seo agency", "seo expert", "seo experts",
           "guest post", "guest posts", "work from home", "make money", "click here", "buy now", "limited offer",
           "free gift", "promo code", "discount code", "whatsapp", "telegram", "dm me", "onlyfans", "followers"),
    "fr": ("gagner de l'argent", "gagner de l’argent", "cliquez ici", "achetez maintenant", "code promo",
           "offre limitée", "travail à domicile", "casino en ligne", "crédit rapide", "prêt rapide", "abonnés",
           "référencement", "cadeau gratuit"),
    "de": ("geld verdienen", "hier klicken", "jetzt kaufen", "rabattcode", "gutscheincode", "begrenztes angebot",
           "von zu hause arbeiten", "online casino", "online-casino", "schnellkredit", "follower kaufen",
           "suchmaschinenoptimierung", "gratis geschenk"),
    "es": ("ganar dinero", "haz clic aquí", "haga clic aquí", "compra ahora", "código promocional",
           "código de descuento", "oferta limitada", "trabajo desde casa", "casino en línea", "préstamo rápido",
           "seguidores", "regalo gratis"),
    "he": ("לחץ כאן", "לחצו כאן", "קוד קופון", "קוד הנחה", "הצעה מוגבלת", "עבודה מהבית", "הלוואה מהירה",
           "קזינו", "הימורים", "עוקבים", "קידום אתרים", "להרוויח כסף"),
}

#: letters Hebrew writes joined to the front of a word (and, the, that, in, to, from, as)
HEBREW_PREFIXES = "והשבלמכ"


def for_languages(table: dict[str, tuple[str, ...]], languages: tuple[str, ...]) -> tuple[str, ...]:
    """English's list and the lists of ``languages`` (BCP 47 tags: fr-CA takes fr's), once each."""
    wanted = ["en", *(tag.split("-")[0].lower() for tag in languages)]
    return tuple(word for code in dict.fromkeys(wanted) for word in table.get(code, ()))
