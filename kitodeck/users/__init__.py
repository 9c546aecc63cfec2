"""Users: profiles and admin user management."""
