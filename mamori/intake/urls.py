from django.urls import path

from . import views

app_name = "intake"
urlpatterns = [
    path("new/", views.staff_report, name="staff_report"),
    path("log/", views.log_report, name="log_report"),
]
