"""adapters/common."""
