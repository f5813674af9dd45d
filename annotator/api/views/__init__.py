"""The REST API views by resource. Thin: check the role, parse, call one selector or service, serialize.

Everything lives under a project (/api/projects/<slug>/...), where the
pages' rules hold: non-members get 404, a missing role 403, annotators see
only their own annotations and never the gold. annotator/api/urls.py
imports the modules.
"""
