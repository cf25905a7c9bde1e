"""Colours and shared styles of the portal."""

PRIMARY = "#0b4a8b"  # the distributor's blue
PRIMARY_DARK = "#08325e"
ACCENT = "#f2a900"  # energy amber
OK = "#1a7f37"
ERROR = "#c62828"
MUTED = "#5b6673"
BG = "#f3f6fa"

CARD = {
    "background": "white",
    "border_radius": "14px",
    "box_shadow": "0 1px 3px rgba(16,24,40,.08), 0 8px 24px rgba(16,24,40,.06)",
    "padding": ["1.25em", "2em"],
    "width": "100%",
}
