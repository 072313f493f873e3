"""Token buckets that limit a target's request rate: in this process, or shared through Redis."""

from scrape_assets.crawler.rate_limit.buckets import LocalTokenBucket, RedisTokenBucket, TokenBucket

__all__ = ["LocalTokenBucket", "RedisTokenBucket", "TokenBucket"]
