"""Schema touches drf-spectacular cannot infer: the token scheme, and the errors every operation may answer with.

annotator/api/urls.py imports this module, which registers `TokenScheme`
before any schema is made.
"""

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme


class TokenScheme(KnoxTokenScheme):
    """The API's token (annotator.api.tokens, knox's without its per-request scan), documented as knox's is."""

    target_class = "annotator.api.tokens.TokenAuthentication"


ERROR = {"$ref": "#/components/schemas/ApiError"}
COMMON = {
    "401": "No credentials, or wrong ones (send `Authorization: Token ...` or log in).",
    "403": "Your role in the project does not allow this.",
    "404": "No such project (or you are not a member), or no such object in it.",
}
CHECKED_INPUT = {"400": "The request is malformed (the body names each problem)."}
PUBLIC = ("/api/auth/token/", "/api/schema/", "/api/docs/")


def document_errors(result, generator, request, public):
    """Add the 401/403/404 (and 400 where input is read) answers to every operation, with an Error schema."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "ApiError",
        {
            "type": "object",
            "description": "`detail` says what went wrong; a rejected body names each field instead.",
            "properties": {"detail": {"type": "string"}},
            "additionalProperties": True,
        },
    )
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            extra = {} if path in PUBLIC else dict(COMMON)
            if method != "get" or operation.get("parameters") or path == "/api/auth/token/":
                extra.update(CHECKED_INPUT)
            if method != "get":
                extra["415"] = "The body is not JSON (nor, for the token, a form)."
            if path == "/api/auth/token/":
                extra["429"] = "Too many tries from this address, or too many failed logins for this account or address."
            for code, description in extra.items():
                responses.setdefault(code, {"content": {"application/json": {"schema": ERROR}}, "description": description})
    return result
