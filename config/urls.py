from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from config import directory
from mamori.accounts import urls as accounts_urls
from mamori.api.api import api
from mamori.home.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    *accounts_urls.top_urlpatterns,
    path("accounts/", include("mamori.accounts.urls")),
    # One login page for everyone, with the banner, the lockout and the second factor.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("report/", include("mamori.intake.public_urls")),
    path("intake/", include("mamori.intake.urls")),
    path("incidents/", include("mamori.incidents.urls")),
    path("people/", include("mamori.people.urls")),
    path("paging/", include("mamori.paging.urls")),
    path("policy/", include("mamori.policy.urls")),
    path("documents/", include("mamori.documents.urls")),
    path("statistics/", include("mamori.statistics.urls")),
    path("systems/", include("mamori.assets.urls")),
    path("exceptions/", include("mamori.exception_measures.urls")),
    path("advisories/", include("mamori.advisories.urls")),
    path("training/", include("mamori.training.urls")),
    path("audits/", include("mamori.audits.urls")),
    path("outsourcing/", include("mamori.outsourcing.urls")),
    path("reviews/", include("mamori.reviews.urls")),
    path("emergencies/", include("mamori.continuity.urls")),
    path("rollcall/", include("mamori.continuity.rollcall_urls")),
    *directory.urlpatterns(),  # OpenID Connect login, when configured (docs/directory-login.md)
    path("", include("mamori.home.urls")),
]
