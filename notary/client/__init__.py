"""Talking to a notary service: stamping files and the HTTP client the CLI uses."""
