"""Qt item models: thin adapters holding ids, fetching rows from the store in the background."""
