"""The worker process: waits to lead, then seals intervals and batches and anchors them."""
