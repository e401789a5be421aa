"""The dialogue: policy, response templates, and the keyword fallback interpreter."""
