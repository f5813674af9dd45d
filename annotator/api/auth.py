"""API tokens: a username and password buy a token (hashed in the database, expiring, revocable).

Tokens are django-rest-knox's: only a digest is stored, each lasts
REST_KNOX["TOKEN_TTL"] (settings API_TOKEN_HOURS), a password change deletes
the user's tokens (annotator.accounts), and POST /api/auth/logout/ (this
token) or /api/auth/logoutall/ (every token of the user) revokes them.
The password check goes through django-axes (lockout after repeated failures,
per username and per address) and a DRF throttle per client address.
"""

from __future__ import annotations

from django.contrib.auth import authenticate, user_logged_in
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox import views as knox_views
from .tokens import TokenAuthentication
from knox.models import get_token_model
from knox.settings import knox_settings
from rest_framework import parsers, serializers, views
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from .parsers import JSONParser
from .permissions import ApiAuth


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")
    expiry = serializers.DateTimeField(allow_null=True, help_text="When the token stops working.")


class TokenView(ApiAuth, views.APIView):
    """Trade a username and password for a token to send as `Authorization: Token ...`.

    Each call makes a new token; it expires (see `expiry`), and a password change or
    POST /api/auth/logout/ retires it. Repeated failures lock the account and the address
    out for a while (429), and each address may ask a few times a minute (429).
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"
    parser_classes = [JSONParser, parsers.FormParser]
    serializer_class = TokenRequestSerializer

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="Wrong username or password, or a field missing."),
        },
        auth=[],
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        django_request = request._request  # django-axes records the attempt (and any lockout) on it
        user = authenticate(django_request, username=data.validated_data["username"], password=data.validated_data["password"])
        if user is None or not user.is_active:
            raise serializers.ValidationError({"non_field_errors": ["Unable to log in with the username and password given."]})
        Token = get_token_model()
        Token.objects.filter(user=user, expiry__lt=timezone.now()).delete()
        instance, token = Token.objects.create(user=user, expiry=knox_settings.TOKEN_TTL)
        user_logged_in.send(sender=user.__class__, request=django_request, user=user)
        return Response({"token": token, "expiry": TokenSerializer().fields["expiry"].to_representation(instance.expiry) if instance.expiry else None})


class LogoutView(ApiAuth, knox_views.LogoutView):
    """Revoke the token this request is made with."""

    authentication_classes = [TokenAuthentication]

    @extend_schema(request=None, responses={204: None})
    def post(self, request, format=None):
        return super().post(request, format)


class LogoutAllView(ApiAuth, knox_views.LogoutAllView):
    """Revoke every token of the user this request is made with."""

    authentication_classes = [TokenAuthentication]

    @extend_schema(request=None, responses={204: None})
    def post(self, request, format=None):
        return super().post(request, format)
