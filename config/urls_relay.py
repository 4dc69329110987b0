"""URLs of the relay on the internet-facing segment (MAMORI_RELAY_ONLY=true): the one-tap links of the
roll-call and of acknowledgements, at the same paths as on the main instance, and the signed API its
worker calls. Nothing else; no login, no incident data (mamori/relay/models.py)."""

from django.urls import include, path

from mamori.home.views import healthz
from mamori.relay import views

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("rollcall/<str:token>/", views.rollcall_answer, name="relay_rollcall"),
    path("paging/ack/<str:token>/", views.acknowledge, name="relay_ack"),
    path("relay/", include("mamori.relay.urls")),
]
