"""URLs of a process on the internet-facing segment (MAMORI_PUBLIC_ONLY=true): the public form only."""

from django.urls import include, path

from mamori.home.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("report/", include("mamori.intake.public_urls")),
]
