"""backtests."""
