"""The Mini App for a couple with a year of check-ins: API latency, page weight, first render.

Run from the repository root::

    .venv/bin/python bench/mini_app.py [--calls 400] [--days 365] [--smoke]
    scripts/with-postgres .venv/bin/python bench/mini_app.py --backend postgresql

Anna and Ben, paired, with ``--days`` days of check-ins and notes (seeded as
bench/reciprocity.py seeds them), behind the bot's own web server (``BotWebServer`` on
127.0.0.1, as in polling mode with ``HTTP_PORT``; the fake Bot API of bench/common.py):

1. ``--calls`` API calls over HTTP, each with a signed ``initData`` header, one at a time,
   alternating between the two: the week, walking week by week back through the year and
   forward again, and every fourth call a page of the journal (target: p99 at most 50 ms).
   The per-person rate limit is lifted for the run (it would answer 429); a first call
   each warms up and is not counted;
2. the page's weight: ``index.html``, ``app.js`` and ``app.css`` as served, raw and gzipped
   (target: at most 60 KB together; Telegram's own script is not counted);
3. the first render in headless Chromium (Debian's ``/usr/bin/chromium``, through
   Playwright): from navigation start to the week drawn (the page marks it), Telegram's
   script stood in for as in the tests; the median and the slowest of five loads (target:
   at most 300 ms).

Exit status 1 if a call did not answer 200, or chromium is missing.
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from bench import common
from bench.common import BenchError, latency, percentile_ms
from bench.reciprocity import NOW, PEOPLE, seed
from bot.web.limits import RateLimiter
from bot.web.mini_app import STATIC
from bot.web.server import BotWebServer
from tests.mini_app import CHROMIUM, CHROMIUM_ARGS, TELEGRAM_SCRIPT, init_data, stand_in

TARGET_MS = 50
WEIGHT_TARGET = 60 * 1024
RENDER_TARGET_MS = 300
LOADS = 5


async def first_renders(url: str, init: str, loads: int) -> list[tuple[float, float]]:
    """Milliseconds from navigation start to the week drawn, per load (a fresh page each),
    and to our script's start (what came before it: the HTML, Telegram's script, styles)."""
    from playwright.async_api import Route, async_playwright

    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 (once, before the browser starts)
        raise BenchError(f"no chromium at {CHROMIUM}: apt install chromium")

    async def telegram(route: Route) -> None:
        await route.fulfill(status=200, content_type="text/javascript", body=stand_in(init))

    found = []
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for _ in range(loads + 1):  # the first warms the browser up; not counted
                page = await browser.new_page(viewport={"width": 360, "height": 780})
                await page.route(TELEGRAM_SCRIPT, telegram)
                await page.goto(url)
                await page.wait_for_selector(
                    "html[data-rendered]", state="attached", timeout=10_000
                )
                screen = await page.evaluate("document.documentElement.dataset.screen")
                if screen != "week":
                    raise BenchError(f"the page showed {screen!r}, not the week")
                marks = await page.evaluate(
                    "[document.documentElement.dataset.rendered,"
                    " document.documentElement.dataset.started]"
                )
                found.append((float(marks[0]), float(marks[1])))
                await page.close()
        finally:
            await browser.close()
    return found[1:]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=365, help="default 365")
    parser.add_argument("--calls", type=int, default=400, help="API calls (default 400)")
    args = common.parse_arguments(parser)
    if args.smoke:
        args.days, args.calls = 30, 12
    weeks = max(2, min(52, args.days // 7))
    times: dict[str, list[float]] = {"week": [], "journal": []}
    async with common.fresh_database(args) as url:
        seeded = await seed(url, args.days)
        with common.FakeTelegram() as telegram:
            settings = common.bot_settings(url, telegram)
            async with common.running_bot(settings, clock=lambda: NOW) as (app, errors):
                server = BotWebServer(settings, port=0)
                # Lifted for the run: one client makes all the calls.
                server.mini_app.reads = RateLimiter(10**9, 10**9)
                await server.start(app)
                base = f"http://127.0.0.1:{server.port}"
                inits = {
                    telegram_id: init_data(telegram_id, auth_date=NOW, token=common.TOKEN)
                    for telegram_id, *_ in PEOPLE
                }
                signed = {
                    person: {"Authorization": f"tma {init}"} for person, init in inits.items()
                }
                try:
                    async with aiohttp.ClientSession() as http:
                        for headers in signed.values():  # warm-up, not counted
                            async with http.get(f"{base}/app/api/week", headers=headers) as answer:
                                if answer.status != 200:
                                    raise BenchError(f"the week answered {answer.status}")
                                await answer.read()
                        shown = {telegram_id: 0 for telegram_id, *_ in PEOPLE}
                        step = {telegram_id: 1 for telegram_id, *_ in PEOPLE}
                        for n in range(args.calls):
                            person = PEOPLE[n % 2][0]
                            if n // 2 % 4 == 3:
                                kind, path = "journal", f"/app/api/journal?page={n % 20}"
                            else:
                                if not 0 <= shown[person] + step[person] < weeks:
                                    step[person] = -step[person]
                                shown[person] += step[person]
                                kind, path = "week", f"/app/api/week?back={shown[person]}"
                            started = time.perf_counter()
                            async with http.get(base + path, headers=signed[person]) as response:
                                await response.read()
                                if response.status != 200:
                                    raise BenchError(f"{path} answered {response.status}")
                            times[kind].append(time.perf_counter() - started)
                        weight = {}
                        for name in ("", *STATIC):
                            async with http.get(f"{base}/app/{name}") as response:
                                weight[name or "index.html"] = await response.read()
                    renders = await first_renders(
                        f"{base}/app/",
                        signed[PEOPLE[0][0]]["Authorization"][4:],
                        LOADS if not args.smoke else 2,
                    )
                finally:
                    await server.stop()
            common.check(errors, telegram)

    print(f"{args.backend}: Anna and Ben, paired, {args.days} days: {seeded}")
    for kind in ("week", "journal"):
        print(f"GET /app/api/{kind:8} {len(times[kind]):4} calls: {latency(times[kind])}")
    p99 = percentile_ms(times["week"] + times["journal"], 0.99)
    verdict = "met" if p99 <= TARGET_MS else "NOT met"
    print(f"API p99 {p99:.1f} ms (target <= {TARGET_MS} ms: {verdict})")
    raw = sum(len(body) for body in weight.values())
    zipped = sum(len(gzip.compress(body)) for body in weight.values())
    parts = ", ".join(f"{name} {len(body) / 1024:.1f}" for name, body in weight.items())
    print(
        f"page weight {raw / 1024:.1f} KB ({parts}), gzipped {zipped / 1024:.1f} KB "
        f"(target <= {WEIGHT_TARGET // 1024} KB: {'met' if raw <= WEIGHT_TARGET else 'NOT met'})"
    )
    drawn = [rendered for rendered, _ in renders]
    median, worst = statistics.median(drawn), max(drawn)
    before = statistics.median(started for _, started in renders)
    print(
        f"first render in headless Chromium, {len(renders)} loads: median {median:.0f} ms, "
        f"slowest {worst:.0f} ms (target <= {RENDER_TARGET_MS} ms: "
        f"{'met' if worst <= RENDER_TARGET_MS else 'NOT met'}); our script started at "
        f"{before:.0f} ms (median), the rest is the API call and drawing"
    )


if __name__ == "__main__":
    common.run(main)
