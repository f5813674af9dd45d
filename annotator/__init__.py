"""A Django app for labelling spans in news text with a spaCy model in the loop."""
