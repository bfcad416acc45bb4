"""Every door leads come in by: web forms, the public endpoint, file import — one pipeline."""
