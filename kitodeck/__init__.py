"""KitoDeck: a self-hostable safety API for dating and social apps."""
