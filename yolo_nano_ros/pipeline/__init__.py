"""The node's frame path in plain Python: latest-frame slot, rates, per-kind error throttle."""
