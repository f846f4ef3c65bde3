"""The designer's use cases and the draft edits behind them."""
