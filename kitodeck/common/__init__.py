"""Helpers shared by the blueprints: auth decorators, schemas, email, time."""
