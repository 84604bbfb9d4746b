"""What the bot does, as plain typed async functions over a database session.

Services know nothing about Telegram: handlers parse an update, call a service, and reply.
"""
