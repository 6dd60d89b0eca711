"""Outgoing e-mail: an outbox in MongoDB (content sealed under the recipient's data key),
sent by the worker over SMTP. Other domains call `ticketsafe.mail.outbox.queue_mail`."""
