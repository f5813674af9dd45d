"""Token authentication for the API: knox's, without its scan of the user's other tokens on every request.

knox's TokenAuthentication deletes the user's *other* expired tokens each
time a token is used: one more query on every API request, whatever it
asks. An expired token is refused when it is used (and deleted then), and
the user's expired tokens are deleted when they get a new one
(api.auth.TokenView), so the scan adds nothing but time. This module imports
no DRF views: settings.REST_FRAMEWORK names it, and DRF loads it while
rest_framework.views itself is being imported.
"""

from __future__ import annotations

from django.utils import timezone
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.signals import token_expired


class TokenAuthentication(KnoxTokenAuthentication):
    def _cleanup_token(self, auth_token) -> bool:
        """Whether this token has expired (then it is deleted, as knox does)."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False
