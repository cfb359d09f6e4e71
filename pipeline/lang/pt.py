"""Portuguese: European (``pt``, ``pt-PT``) and Brazilian (``pt-BR``)."""

from __future__ import annotations

from dataclasses import replace

from .base import Colophon, Labels, Language, Style, words
from .typography import conventions

__all__ = ["LANGUAGE", "VARIANTS", "typography_br", "typography_pt"]

typography_pt = conventions(outer="«»", inner="“”")
"""European Portuguese: angular quotes outside, English ones inside, the stop
after the closing quote. Travessões keep their spaces (``— aparte —``)."""

typography_br = conventions(outer="“”", inner="\u2018\u2019")
"""Brazilian Portuguese: double quotes outside, single ones inside, the stop
after the closing quote."""

LANGUAGE = Language(
    code="pt",
    name="Portuguese",
    native_name="Português",
    names={
        "ca": "catalão",
        "de": "alemão",
        "en": "inglês",
        "es": "espanhol",
        "fr": "francês",
        "it": "italiano",
        "pt": "português",
    },
    labels=Labels(
        contents="Índice",
        draft="Rascunho",
        colophon="Colofão",
        summary="{unreviewed} de {total} segmentos ainda não revistos por uma pessoa.",
        states={
            "machine": "Tradução automática não revista",
            "needs-review": "O original mudou depois da revisão: é preciso revê-lo",
            "new": "Ainda não traduzido: mostra-se na língua original",
        },
        thousands="\u202f",
        cover="Capa",
        title_page="Folha de rosto",
        landmarks="Pontos de referência",
        admonitions={
            "note": "Nota",
            "abstract": "Resumo",
            "summary": "Resumo",
            "tldr": "Em resumo",
            "info": "Informação",
            "todo": "Por fazer",
            "tip": "Dica",
            "hint": "Sugestão",
            "important": "Importante",
            "success": "Sucesso",
            "check": "Verificado",
            "done": "Feito",
            "question": "Pergunta",
            "help": "Ajuda",
            "faq": "Perguntas frequentes",
            "warning": "Aviso",
            "caution": "Cuidado",
            "attention": "Atenção",
            "failure": "Falha",
            "fail": "Falha",
            "missing": "Em falta",
            "danger": "Perigo",
            "error": "Erro",
            "bug": "Defeito",
            "example": "Exemplo",
            "quote": "Citação",
            "cite": "Citação",
            "seealso": "Ver também",
            "details": "Detalhes",
        },
    ),
    colophon=Colophon(
        source="Original: {title}, de {author}.",
        translated="Traduzido do {language}. Tradução automática: {engines}.",
        reviewed="Revisto por pessoas: {reviewed} de {total} segmentos.",
        reviewers="Revisão: {names} ({dates}).",
        revision="Revisão do original: {revision}.",
        made="Feito com pipeline {version}.",
        none="nenhuma",
        dirty="{commit} com alterações por confirmar",
    ),
    plural_forms="nplurals=2; plural=(n != 1);",
    hyphenation="pt_PT",
    titles=words(
        "sr sra srs sras srta dr dra drs dras prof profa eng enga arq exmo exma ilmo ilma "
        "d pe fr gen cel ten cap sto sta v vv"
    ),
    abbreviations=words(
        "etc vs aprox pág págs p pp n nº núm art cap vol vols ed fig av tel ex cf op cit "
        "ibid id jan fev mar abr mai jun jul ago set out nov dez seg ter qua qui sex sáb "
        "dom min máx mín c a s ss séc lda cia"
    ),
    openers=words(
        "o a os as um uma uns umas em no na nos nas mas e ou é são foi era este esta "
        "estes estas esse essa isso isto aquele aquela ele ela eles elas se não quando "
        "então ali aqui seu sua seus suas como para por com de do da dos das que há já "
        "também sem enquanto desde hoje agora todo todos cada eu nós você vocês meu minha "
        "após assim"
    ),
    typography=typography_pt,
    style=Style(quotes="«»"),
    checks=("pt-quotes",),
)
"""European Portuguese (also plain ``pt`` and any region but Brazil)."""

VARIANTS: dict[str, Language] = {
    "BR": replace(
        LANGUAGE,
        labels=replace(
            LANGUAGE.labels,
            contents="Sumário",
            summary="{unreviewed} de {total} segmentos ainda não revisados por uma pessoa.",
            states={
                "machine": "Tradução automática não revisada",
                "needs-review": "O original mudou depois da revisão: é preciso revisá-lo de novo",
                "new": "Ainda não traduzido: mostrado no idioma original",
            },
            thousands=".",
            title_page="Folha de rosto",
        ),
        colophon=replace(
            LANGUAGE.colophon,
            reviewed="Revisado por pessoas: {reviewed} de {total} segmentos.",
            dirty="{commit} com alterações não confirmadas",
        ),
        hyphenation="pt_BR",
        typography=typography_br,
        style=Style(quotes="“”"),
    ),
}
"""Brazilian Portuguese: ``Sumário``, ``revisado``, “” quotes, ``10.000``."""
