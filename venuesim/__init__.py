"""venuesim."""
