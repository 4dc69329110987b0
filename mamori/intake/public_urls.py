from django.urls import path

from . import views

app_name = "public"
urlpatterns = [
    path("", views.public_report, name="report"),
    path("thanks/", views.public_thanks, name="thanks"),
    path("status/<str:token>/", views.public_status_page, name="status"),
]
