"""The bundled demo shop: a deterministic e-commerce site served on loopback for demos and tests."""
