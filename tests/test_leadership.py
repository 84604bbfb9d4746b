"""Job leadership when the database drops: the jobs that check the lead at the same moment
(check-ins, together, upkeep) all see an outage, never a crash, and the lead comes back."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import make_url

from bot.storage.engine import create_engine
from bot.storage.health import is_outage
from bot.storage.leadership import Leadership
from tests.tcp_proxy import TcpProxy


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_checks_at_once_while_the_database_drops_are_an_outage_not_a_crash(
    database_url: str,
) -> None:
    target = make_url(database_url)
    assert target.port is not None
    with TcpProxy(target.host or "127.0.0.1", target.port) as proxy:
        through = target.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
        engine = create_engine(through)
        leadership = Leadership(engine)
        try:
            assert await leadership.check()
            proxy.cut()

            results = await asyncio.gather(
                *(leadership.check() for _ in range(3)), return_exceptions=True
            )

            assert not leadership.leading
            outages = [r for r in results if isinstance(r, BaseException) and is_outage(r)]
            assert [r for r in results if r is not False and r not in outages] == []
            proxy.restore()
            assert await leadership.check()
        finally:
            await leadership.release()
            await engine.dispose()
