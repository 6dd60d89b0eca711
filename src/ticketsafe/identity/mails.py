"""Identity's e-mails (pt-BR and English)."""

from __future__ import annotations

from ticketsafe.mail.templates import MailTemplate

PASSWORD_RESET = MailTemplate(
    name="identity.password_reset",
    subject={
        "pt-BR": "Redefinição de senha do TicketSafe",
        "en": "Reset your TicketSafe password",
    },
    text={
        "pt-BR": (
            "Olá, {name}.\n\nRecebemos um pedido para redefinir a sua senha. "
            "Use o link abaixo em até {minutes} minutos:\n\n{link}\n\n"
            "Se não foi você, ignore esta mensagem; sua senha continua a mesma.\n"
        ),
        "en": (
            "Hello {name},\n\nWe received a request to reset your password. "
            "Use the link below within {minutes} minutes:\n\n{link}\n\n"
            "If it was not you, ignore this message; your password stays the same.\n"
        ),
    },
)

PASSWORD_CHANGED = MailTemplate(
    name="identity.password_changed",
    subject={"pt-BR": "Sua senha foi alterada", "en": "Your password was changed"},
    text={
        "pt-BR": "Olá, {name}.\n\nA senha da sua conta TicketSafe foi alterada agora.\n",
        "en": "Hello {name},\n\nThe password of your TicketSafe account was just changed.\n",
    },
)
