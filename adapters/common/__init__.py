"""Transport and infrastructure shared by every venue adapter.

What a new venue gets for free, so that its package is mostly schemas, parsing and signing:

- `http.HttpTransport`: aiohttp POST/GET with a per-venue weighted `ratelimit.RateLimiter`, retries
  with exponential backoff (`backoff.Backoff`) on 429/5xx/transport errors, honouring Retry-After.
- `websocket.ReconnectingWebSocket`: heartbeat, reconnect with backoff, resubscribe, stale-feed
  detection per subscription, `on_connected(reconnected)` hook for REST resynchronisation.
- `feed_status.FeedStatus`: custom data telling strategies a feed is stale/live (topic documented
  in that module).
- `sequencing`: sequence-gap detection, snapshot-ordering guard, bounded de-duplication of ids.
- `frames.FrameStats`: malformed frames are logged (throttled, redacted) and counted, never fatal.
- `credentials`: `Secret` (never printed), env / `.env` lookup, process-wide `redact`.
- `errors`: the one error taxonomy (`VenueError` and subclasses).
"""
