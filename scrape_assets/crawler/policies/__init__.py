"""The crawler's decisions as pure logic, with the clock passed in and no Scrapy: the circuit breaker's
state machine, proxy rotation with benching, token buckets. Each is driven by one Scrapy component in
`middlewares/` and tested on its own."""
