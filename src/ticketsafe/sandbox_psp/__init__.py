"""A sandbox payment service provider (TEST MODE ONLY): card tokenisation, authorise /
capture / void / refund, 3-D-Secure-like asynchronous confirmation, PIX charges and
signed webhooks — the shape of a real PSP's API, so a real one can replace it by
writing a provider, not by changing orders. It never moves real money."""
