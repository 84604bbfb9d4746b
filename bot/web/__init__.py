"""The bot's own HTTP server: Telegram's webhook posts, and /healthz, /readyz, /metrics."""
