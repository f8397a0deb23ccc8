"""Entry points: the CLI, the HTTP API, the server wiring and scheduler jobs. They only translate."""
