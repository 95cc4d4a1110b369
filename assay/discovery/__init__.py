"""Module discovery: where modules come from, their metadata headers, search, context."""
