"""Spanish (Real Academia Española, *Ortografía* 2010)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from .base import Colophon, Labels, Language, Style, words
from .postediting import postediting
from .typography import conventions

__all__ = [
    "INVERTED_MARKS",
    "LANGUAGE",
    "QA_ABBREVIATIONS",
    "VARIANTS",
    "postedit",
    "typography",
]

INVERTED_MARKS: Mapping[str, str] = MappingProxyType({"¿": "?", "¡": "!"})
"""Each opening mark and the mark that closes it (``es-inverted-marks``)."""

QA_ABBREVIATIONS = words(
    "sr sra srta dr dra dña ud uds vd vds etc pág págs núm art cap vol fig ej pp av avda cía "
    "gral prof lic ing mr mrs ms st vs no nº"
)
"""Words that a stop follows without ending the sentence (``Sr. García``), for
the ``es-inverted-marks`` check (English titles included: translations keep them)."""

_RAYA_ABBREVIATIONS = words("sr sra srta sres dr dra dres ud uds vd vds pág núm")
"""Abbreviations whose full stop does not end a sentence, so does not close an
aside between rayas (besides ``EE.``, ``U.S.``)."""

typography = conventions(outer="«»", inner="“”", rayas=True, abbreviations=_RAYA_ABBREVIATIONS)
"""Angular quotes outside, English ones inside, the stop after the closing
quote; asides between rayas that touch the aside."""

_TITLES = words(
    "sr sra srta sres sras dr dra dres dras lic ing arq prof profa ud uds vd vds d "
    "dña gral cnel tte cap sto sta fr pbro excmo excma ilmo ilma"
)
_ABBREVIATIONS = words(
    "etc vs aprox pág págs p pp núm nro n art cap vol vols ed fig cía av avda dpto "
    "tel admón ej ene feb mar abr may jun jul ago sept sep oct nov dic lun mié jue "
    "vie sáb dom c a apdo s ss vid op cit ibíd id mín máx ca col cols"
)

postedit = postediting(
    inverted=True,
    abbreviations=_TITLES | _ABBREVIATIONS | QA_ABBREVIATIONS | words("ee uu"),
    function_words=words(
        "el la los las lo un una unos unas a ante bajo con contra de del al desde en entre "
        "hacia hasta para por según sin sobre tras y e o u ni que pero sino su sus se le les "
        "me te nos os mi mis tu tus como"
    ),
    articles=words("el la los las lo"),
)
"""Spanish conventions set on machine output: ``¿``/``¡`` opening questions and
exclamations, capitals after a sentence's end and not after markup in
mid-sentence, hyphenated compounds without an article inside, single spaces
(see :mod:`pipeline.lang.postediting`)."""

LANGUAGE = Language(
    code="es",
    name="Spanish",
    native_name="Español",
    names={
        "ca": "catalán",
        "de": "alemán",
        "en": "inglés",
        "es": "español",
        "fr": "francés",
        "it": "italiano",
        "pt": "portugués",
    },
    labels=Labels(
        contents="Índice",
        draft="Borrador",
        colophon="Colofón",
        summary="{unreviewed} de {total} segmentos sin revisar por una persona.",
        states={
            "machine": "Traducción automática sin revisar",
            "needs-review": "El original cambió después de la revisión: hay que revisarlo de nuevo",
            "new": "Sin traducir todavía: se muestra en el idioma original",
        },
        thousands="\u202f",
        cover="Cubierta",
        title_page="Portada",
        landmarks="Puntos de referencia",
        admonitions={
            "note": "Nota",
            "abstract": "Resumen",
            "summary": "Resumen",
            "tldr": "En resumen",
            "info": "Información",
            "todo": "Por hacer",
            "tip": "Consejo",
            "hint": "Pista",
            "important": "Importante",
            "success": "Éxito",
            "check": "Comprobado",
            "done": "Hecho",
            "question": "Pregunta",
            "help": "Ayuda",
            "faq": "Preguntas frecuentes",
            "warning": "Advertencia",
            "caution": "Precaución",
            "attention": "Atención",
            "failure": "Fallo",
            "fail": "Fallo",
            "missing": "Falta",
            "danger": "Peligro",
            "error": "Error",
            "bug": "Error de programación",
            "example": "Ejemplo",
            "quote": "Cita",
            "cite": "Cita",
            "seealso": "Véase también",
            "details": "Detalles",
        },
    ),
    colophon=Colophon(
        source="Original: {title}, de {author}.",
        translated="Traducido del {language}. Traducción automática: {engines}.",
        reviewed="Revisado por personas: {reviewed} de {total} segmentos.",
        reviewers="Revisión: {names} ({dates}).",
        revision="Revisión del original: {revision}.",
        made="Hecho con pipeline {version}.",
        none="ninguna",
        dirty="{commit} con cambios sin confirmar",
    ),
    plural_forms="nplurals=2; plural=(n != 1);",
    hyphenation="es",
    titles=_TITLES,
    abbreviations=_ABBREVIATIONS,
    openers=words(
        "el la los las un una unos unas en pero y o es son fue era este esta estos estas "
        "ese esa eso esos esas lo le les se si no cuando entonces allí aquí su sus "
        "nuestro nuestra como para por con de del al que hay ya también sin mientras "
        "desde hoy ahora todo todos cada yo él ella ellos nosotros usted ustedes mi tu a "
        "tras así"
    ),
    typography=typography,
    style=Style(quotes="«»"),
    checks=("es-inverted-marks", "es-quotes"),
    postedit=postedit,
)
"""Spanish, every variety (``es-MX``, ``es-419``…) alike."""

VARIANTS: dict[str, Language] = {}
"""No regional variants: every region gets :data:`LANGUAGE`."""
