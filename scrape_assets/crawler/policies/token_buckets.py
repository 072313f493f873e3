"""Token buckets: `take()` returns 0.0 when a token was taken, else the seconds until one is due."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

# Atomic take on a Redis hash {tokens, ts}, timed by the Redis server's clock so every process agrees.
TAKE_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], 3600)
return tostring(wait)
"""


class TokenBucket(Protocol):
    rate: float

    async def take(self) -> float: ...
    async def close(self) -> None: ...


class LocalTokenBucket:
    """A bucket in this process (the embedded default): `rate` tokens/s, at most `burst` saved up.
    `start_empty`: the first token is due 1/rate after creation, as if a request had just been sent (a
    new crawler process cannot know when the last one of the target went)."""

    def __init__(
        self, rate: float, burst: float = 1.0, clock: Callable[[], float] = time.monotonic, start_empty: bool = False
    ):
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.rate, self.burst, self.clock = rate, max(1.0, burst), clock
        self.tokens = 0.0 if start_empty else self.burst
        self.updated = clock()

    async def take(self) -> float:
        return self.take_now()

    def take_now(self) -> float:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate

    async def close(self) -> None:
        return None


class RedisTokenBucket:
    """A bucket in Redis under `key`, shared by every process and pod that uses the same key."""

    def __init__(self, url: str, key: str, rate: float, burst: float = 1.0):
        import redis.asyncio

        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.rate, self.burst, self.key = rate, max(1.0, burst), key
        self.client = redis.asyncio.Redis.from_url(url)
        self.script = self.client.register_script(TAKE_SCRIPT)

    async def take(self) -> float:
        return float(await self.script(keys=[self.key], args=[self.rate, self.burst]))

    async def close(self) -> None:
        await self.client.aclose()
