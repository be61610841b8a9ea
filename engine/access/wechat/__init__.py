"""WeChat: web OAuth for player identity (and, later, the JS-SDK)."""
