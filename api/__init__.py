"""notary's HTTP service: the API for issuing agencies and verifiers, and the verification page."""
