"""Rewards: coupons (one issuing service for every source), prizes and draws."""
