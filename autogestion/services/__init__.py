"""Business rules: async functions with keyword-only arguments and an explicit session; no Reflex here."""
