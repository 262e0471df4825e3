"""Small helpers with no knowledge of notarisation: files only their owner reads,
request coalescing, memory release."""
