"""Message templates, channels, campaigns, call queue, member links."""
