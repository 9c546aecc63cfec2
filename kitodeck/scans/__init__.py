"""Image and chat scans, history, moderator reviews and custom rules."""
