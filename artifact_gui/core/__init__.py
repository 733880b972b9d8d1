"""Domain objects and formats; knows nothing of stores' internals or of Qt."""
