"""ASGI entry point: HTTP and websockets through one application.

HTTP goes to config.asgi_http (Django's request handling, each request's synchronous work in one hop to a
reused thread); websockets to channels. The HTTP application is created first, so that models and settings
are ready when consumers are loaded.
"""

import os

from config.asgi_http import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
