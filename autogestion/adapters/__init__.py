"""The outside world: SMTP, SMS gateway, file storage, captcha images, PDFs, billing files."""
