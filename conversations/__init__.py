"""The chat flows: one module per flow, each exposing `handlers()` for bot.app to register."""
