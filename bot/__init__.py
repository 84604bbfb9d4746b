"""Secure Base: a couples companion bot for Telegram."""

__version__ = "0.1.0"
