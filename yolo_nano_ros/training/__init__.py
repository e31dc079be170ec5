"""Training (development-time; needs the `train` extra: torch). The runtime never imports this."""
