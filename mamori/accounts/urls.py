from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("two-factor/", views.verify, name="verify"),
    path("two-factor/setup/", views.enrol, name="enrol"),
    path("two-factor/recovery-codes/", views.renew_recovery_codes, name="renew_recovery_codes"),
    path("password/", views.password_change, name="password_change"),
    path("confirm/", views.confirm, name="confirm"),
    path("security/", views.security, name="security"),
]

# Login and logout keep Django's names ("login", "logout"): LOGIN_URL and the admin use them.
top_urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
