"""The project's URLs with the OpenID Connect addresses, as config/directory.urlpatterns() adds them
when MAMORI_OIDC_* is set (the tests switch OIDC on after config.urls has been imported)."""

from django.urls import include, path

from config import urls

urlpatterns = [path("oidc/", include("mozilla_django_oidc.urls")), *urls.urlpatterns]
