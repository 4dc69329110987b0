from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from mamori.api.api import api
from mamori.home.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="home/login.html"), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("report/", include("mamori.intake.public_urls")),
    path("intake/", include("mamori.intake.urls")),
    path("incidents/", include("mamori.incidents.urls")),
    path("people/", include("mamori.people.urls")),
    path("paging/", include("mamori.paging.urls")),
    path("policy/", include("mamori.policy.urls")),
    path("", include("mamori.home.urls")),
]
