"""The conversation with the backend agent: one turn at a time (``turn``), its GUI wording translated (``gui``)."""
