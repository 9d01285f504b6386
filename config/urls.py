"""URL routes: one include per app."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.decorators.cache import cache_control
from django.views.i18n import JavaScriptCatalog

from config import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The catalogue for static/js (live.js, forum.js); the page adds ?v=<language> so browsers cache one per language.
    path("jsi18n/", cache_control(max_age=86400, public=True)(JavaScriptCatalog.as_view()), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("community.forum.urls")),
    path("", include("community.notifications.urls")),
    path("", include("community.content.urls")),
    path("", include("community.loyalty.urls")),
    path("", include("community.metrics.urls")),
    path("", include("events.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
handler429 = "config.views.rate_limited"  # allauth's rate limits (login, signup, password reset...) answer with it
