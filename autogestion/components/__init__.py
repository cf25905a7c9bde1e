"""Reusable pieces: page layouts with the menu, form fields with ✓/✗, tables."""
