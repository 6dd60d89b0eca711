"""`python -m bench.flashsale --preset smoke`: see `bench/README.md`."""

from bench.flashsale.command import app

app()
