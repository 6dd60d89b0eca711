from ticketsafe.cli import main

main()
