"""Reflex states: one flat state per page; handlers validate input, call one service, map the result."""
