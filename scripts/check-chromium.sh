#!/usr/bin/env bash
# The browser tests drive a real Chromium; say clearly what to do when there is none.
browser="${AUTOGESTION_CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}"
if [ -z "$browser" ] || [ ! -x "$browser" ]; then
  echo "Chromium was not found: the end-to-end tests need it."
  echo "  Debian/Ubuntu: sudo apt-get install chromium"
  echo "  or set AUTOGESTION_CHROMIUM=/path/to/chromium"
  exit 1
fi
