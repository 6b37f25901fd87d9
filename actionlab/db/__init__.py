"""Database layer: models, engine set-up and migrations. Only the store uses it."""
