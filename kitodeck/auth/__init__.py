"""Signup, email verification, login, token refresh, sessions and passwords."""
