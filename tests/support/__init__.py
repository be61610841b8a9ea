"""Test support: live server processes and local stand-ins for outside services."""
