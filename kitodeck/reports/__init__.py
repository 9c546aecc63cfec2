"""Analytics for users and moderators."""
