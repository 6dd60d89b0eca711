"""Mail templates in pt-BR and English, chosen by the recipient's locale.

A domain declares its templates as `MailTemplate` constants next to its service and
passes one to `queue_mail`; placeholders are `str.format` fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_LOCALE = "pt-BR"
SUPPORTED_LOCALES = ("pt-BR", "en")


def resolve_locale(locale: str | None) -> str:
    """`pt`, `pt-br`, `pt_PT`… → pt-BR; any other language → en; none → pt-BR."""
    if not locale:
        return DEFAULT_LOCALE
    return "pt-BR" if locale.lower().startswith("pt") else "en"


@dataclass(frozen=True)
class MailTemplate:
    name: str
    subject: Mapping[str, str]  # locale → subject (format string)
    text: Mapping[str, str]  # locale → plain-text body (format string)

    def render(self, locale: str | None, params: Mapping[str, str]) -> tuple[str, str]:
        lang = resolve_locale(locale)
        return self.subject[lang].format(**params), self.text[lang].format(**params)
