"""Screening in the site's languages: strong language and advertising phrases are flagged in French,
German, Spanish and Hebrew as in English, for a site written in that language."""

from __future__ import annotations

import pytest
from moderation_helpers import HEADER, MODERATED_SITE, csv_row, inbox

STORIES = {
    "fr": (("Service", "Putain, trois quarts d'heure pour une baguette !", "putain"),
           ("Super affaire", "Cliquez ici pour votre code promo sur nos montres.", "'cliquez ici', 'code promo'")),
    "de": (("Bedienung", "Was für eine Scheiße, das Brot war hart.", "scheiße"),
           ("Tolles Angebot", "Geld verdienen von zu Hause: jetzt kaufen, hier klicken!",
            "'geld verdienen', 'hier klicken', 'jetzt kaufen'")),
    "es": (("Atención", "Qué mierda de servicio, de verdad.", "mierda"),
           ("Oferta", "Haz clic aquí para ganar dinero con nuestro código promocional.",
            "'código promocional', 'ganar dinero', 'haz clic aquí'")),
    "he": (("שירות", "איזה חרא של שירות, והזונה בקופה צעקה עלינו.", "זונה, חרא"),
           ("מבצע", "לחצו כאן לקבלת קוד הנחה בקזינו שלנו", "'לחצו כאן', 'קוד הנחה', 'קזינו'")),
}


def flags_of(make_site, run, site_yaml: str, rows: list[tuple[str, str]]) -> dict[str, dict[str, str]]:
    """title → {flag code: its message} for each story imported into a site with ``site_yaml``."""
    body = "".join(csv_row(f"2026-03-0{n} 09:00", f"Customer {n}", title, story)
                   for n, (title, story) in enumerate(rows, start=1))
    site = make_site({"stories.csv": HEADER + body}, site_yaml=site_yaml)
    result = run("submissions", "import", site / "stories.csv", "--site", site)
    assert result.code == 0, result.err
    return {title: {f["code"]: f["message"] for f in data["flags"]} for title, data in inbox(site).items()}


@pytest.mark.parametrize("language", sorted(STORIES))
def test_strong_language_and_spam_are_flagged_in_the_sites_language(make_site, run, language):
    (rude_title, rude, words), (spam_title, spam, phrases) = STORIES[language]
    flags = flags_of(make_site, run, MODERATED_SITE.replace("language: en-GB", f"language: {language}"),
                     [(rude_title, rude), (spam_title, spam)])
    assert flags[rude_title]["profanity"].startswith(f"strong language: {words} — ")
    assert flags[spam_title]["spam"] == f"likely spam: advertising words {phrases}"
    assert "profanity" not in flags[spam_title] and "spam" not in flags[rude_title]


def test_english_lists_screen_every_site_and_other_lists_only_their_languages(make_site, run):
    rows = [("Mixed", "Bloody awful, what a load of shit."), ("Ailleurs", "Putain, quel pain !")]
    french = flags_of(make_site, run, MODERATED_SITE.replace("language: en-GB", "language: fr-CA"), rows)
    assert "shit" in french["Mixed"]["profanity"] and "putain" in french["Ailleurs"]["profanity"]


def test_an_english_site_is_not_screened_with_other_languages_lists(make_site, run):
    # "con" is French strong language and Spanish for "with": only a site in French is screened for French words
    flags = flags_of(make_site, run, MODERATED_SITE, [("Putain", "Putain de bonne baguette, con leche y azúcar.")])
    assert "profanity" not in flags["Putain"]


def test_a_two_language_site_is_screened_with_both_lists(make_site, run):
    bilingual = MODERATED_SITE.replace("language: en-GB", "languages: [en-GB, de]")
    assert bilingual != MODERATED_SITE
    flags = flags_of(make_site, run, bilingual, [("Brot", "So ein Mist, verdammte Scheiße.")])
    assert flags["Brot"]["profanity"].startswith("strong language: scheiße — ")
