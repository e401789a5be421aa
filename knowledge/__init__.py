"""Knowledge: the product catalog and FAQ retrieval. Imports nothing from bot or adapters."""
