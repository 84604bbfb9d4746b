"""Persistence: models, engine, migrations and the typed queries the services call.

Nothing in here imports telegram.
"""
