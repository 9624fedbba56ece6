"""OpenAPI description of Bridgeway's own authentication class (imported by the app
config so that drf-spectacular knows it)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "bridgeway.accounts.api_auth.ApiTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token issued from a signed-in web session "
                           "(POST /api/v1/auth/tokens/): 'Authorization: Bearer bw_…'.",
        }
