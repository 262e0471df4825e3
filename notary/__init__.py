"""notary: blockchain-anchored notarisation of issued documents."""
