from ticketsafe.sandbox_psp.server import main

main()
