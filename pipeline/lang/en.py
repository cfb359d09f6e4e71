"""English."""

from __future__ import annotations

from dataclasses import replace

from .base import Colophon, Labels, Language, Style, words

__all__ = ["LANGUAGE", "VARIANTS"]

LANGUAGE = Language(
    code="en",
    name="English",
    native_name="English",
    names={
        "ca": "Catalan",
        "de": "German",
        "en": "English",
        "es": "Spanish",
        "fr": "French",
        "it": "Italian",
        "pt": "Portuguese",
    },
    labels=Labels(
        contents="Contents",
        draft="Draft",
        colophon="Colophon",
        summary="{unreviewed} of {total} segments not yet reviewed by a person.",
        states={
            "machine": "Machine translation, not reviewed",
            "needs-review": "Source changed since the review: to be reviewed again",
            "new": "Not translated yet: shown in the original language",
        },
        thousands=",",
        cover="Cover",
        title_page="Title page",
        landmarks="Landmarks",
    ),
    colophon=Colophon(
        source="Source: {title}, by {author}.",
        translated="Translated from {language}. Machine translation: {engines}.",
        reviewed="Reviewed by people: {reviewed} of {total} segments.",
        reviewers="Reviewers: {names} ({dates}).",
        revision="Source revision: {revision}.",
        made="Made with pipeline {version}.",
        none="none",
        dirty="{commit} with uncommitted changes",
    ),
    plural_forms="nplurals=2; plural=(n != 1);",
    hyphenation="en_US",
    titles=words(
        "mr mrs ms mx dr prof sr st rev hon gen col capt cpt lt sgt gov sen rep pres fr mt messrs"
    ),
    abbreviations=words(
        "etc vs approx apt no nos fig figs vol vols ed eds p pp ch sec inc ltd co corp jr "
        "bros dept est ca cf al jan feb mar apr jun jul aug sep sept oct nov dec mon tue "
        "wed thu fri sat sun ave blvd rd ft min max misc op ref viz"
    ),
    openers=words(
        "the this that these those it its he she we they i you his her our their my your "
        "in on at but and or a an if when then there here as for so yet what why how who "
        "where after before most many some all no not one each every today now however "
        "meanwhile still also to with by from while since"
    ),
    typography=None,
    style=Style(quotes="“”"),
)
"""English as pipeline writes it (US spelling of labels; no typography set)."""

VARIANTS: dict[str, Language] = {"GB": replace(LANGUAGE, hyphenation="en_GB")}
"""Regional variants by region subtag; any other region gets :data:`LANGUAGE`."""
