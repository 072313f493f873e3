"""Token buckets: the local one, and the Redis one shared by several processes."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from scrape_assets.crawler.policies.token_buckets import LocalTokenBucket, RedisTokenBucket


def test_local_bucket_spaces_tokens_at_the_rate():
    clock = [0.0]
    bucket = LocalTokenBucket(rate=2.0, burst=1.0, clock=lambda: clock[0])
    assert bucket.take_now() == 0.0
    assert bucket.take_now() == pytest.approx(0.5)
    clock[0] = 0.5
    assert bucket.take_now() == 0.0
    clock[0] = 10.0  # idle time saves up at most `burst` tokens
    assert bucket.take_now() == 0.0 and bucket.take_now() > 0


def test_bucket_refuses_a_non_positive_rate():
    with pytest.raises(ValueError, match="rate must be positive"):
        LocalTokenBucket(rate=0)


TAKER = """
import asyncio, sys, time
from scrape_assets.crawler.policies.token_buckets import RedisTokenBucket
async def main():
    bucket = RedisTokenBucket(sys.argv[1], "test:bucket", rate=20.0)
    got = []
    while len(got) < 15:
        wait = await bucket.take()
        if wait == 0:
            got.append(time.time())
        else:
            await asyncio.sleep(wait)
    await bucket.close()
    print(" ".join(map(str, got)))
asyncio.run(main())
"""


def test_redis_bucket_holds_the_rate_across_processes(redis_url):
    takers = [
        subprocess.Popen([sys.executable, "-c", TAKER, redis_url], stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    times = sorted(float(t) for p in takers for t in p.communicate(timeout=60)[0].split())
    assert len(times) == 30
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert rate == pytest.approx(20.0, rel=0.1)


def test_redis_bucket_answers_a_wait_when_empty(redis_url):
    async def two_takes():
        bucket = RedisTokenBucket(redis_url, "test:single", rate=1.0)
        first, second = await bucket.take(), await bucket.take()
        await bucket.close()
        return first, second

    first, second = asyncio.run(two_takes())
    assert first == 0.0 and 0.9 < second <= 1.0
