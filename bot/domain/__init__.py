"""Domain rules, each written once: pricing, order statuses, phone numbers, handoff state,
pending options. Pure functions and small values; nothing here knows the dialogue engine."""
