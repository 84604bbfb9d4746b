"""``python -m bot``: load and check the settings and every language's content, then start
the bot (``bot.launch``: check the database, migrate, poll or serve the webhook).

The rest of the bot (Telegram, SQLAlchemy, the handlers: ~90 MB of resident memory) is
imported only after the content is loaded. Loading it makes ~30 MB of short-lived objects
(the crisis phrases written out and compiled); made first, the memory they free is reused by
those imports, rather than staying with the process on top of them: its peak is ~12 MB lower
(bench/memory.py). Keep this module's imports to settings and content.
"""

from __future__ import annotations

import sys

from bot.config import SettingsError, load_settings
from bot.services.content import ContentError, load_content

EXIT_CONFIG = 2  # as bot.launch says it


def main() -> int:
    try:
        settings = load_settings()
        content = load_content()
    except (SettingsError, ContentError) as exc:
        print(f"secure-base: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    from bot.launch import launch  # only now: see the module's docstring

    return launch(settings, content)


if __name__ == "__main__":
    sys.exit(main())
