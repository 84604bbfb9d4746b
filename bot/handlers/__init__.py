"""Telegram handlers, one module per conversation area.

Handlers are thin: they read the update, call a service, and reply with texts from
``bot/content``. Each module exports ``HANDLERS`` (and, where it asks free-text questions,
``INPUT_ROUTES``); ``bot.app`` registers them in a documented order.
"""
