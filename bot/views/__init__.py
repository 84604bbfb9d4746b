"""What the bot shows: texts with their buttons, built from content and data. Pure: no I/O."""
