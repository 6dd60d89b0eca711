"""Ticket e-mails (pt-BR and English)."""

from __future__ import annotations

from ticketsafe.mail.templates import MailTemplate

TRANSFER_OFFER = MailTemplate(
    name="tickets.transfer_offer",
    subject={
        "pt-BR": "Você recebeu um ingresso",
        "en": "A ticket was transferred to you",
    },
    text={
        "pt-BR": (
            "Olá!\n\nAlguém transferiu um ingresso ({place}) para este e-mail.\n"
            "Para aceitá-lo, entre na sua conta TicketSafe com este e-mail e abra:\n"
            "{accept_url}\n\nO código antigo do ingresso deixa de valer quando você aceitar."
            "\n\nTicketSafe"
        ),
        "en": (
            "Hello,\n\nSomeone transferred a ticket ({place}) to this e-mail address.\n"
            "To accept it, log in to TicketSafe with this address and open:\n"
            "{accept_url}\n\nThe ticket's old code stops working once you accept.\n\nTicketSafe"
        ),
    },
)

TICKETS_READY = MailTemplate(
    name="tickets.ready",
    subject={
        "pt-BR": "Pedido {order_id} confirmado: seus ingressos para {event}",
        "en": "Order {order_id} confirmed: your tickets for {event}",
    },
    text={
        "pt-BR": (
            "Olá, {name}!\n\nSeu pedido {order_id} está pago: total {total}.\n"
            "Seus {count} ingresso(s) para {event} estão anexos (PDF), com o "
            "evento para a sua agenda (.ics).\nNo portão, prefira o código ao vivo do "
            "aplicativo: ele muda a cada 15 segundos.\n\nTicketSafe"
        ),
        "en": (
            "Hello {name},\n\nYour order {order_id} is paid: total {total}.\n"
            "Your {count} ticket(s) for {event} are attached (PDF), with the "
            "event for your calendar (.ics).\nAt the gate, prefer the app's live code: it "
            "changes every 15 seconds.\n\nTicketSafe"
        ),
    },
)
