"""The document layer: graph + file + dirty state (no Qt)."""
