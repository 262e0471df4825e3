"""Settings and wiring: what the environment says, the keys it names, and the chain
and registry objects built from them."""
