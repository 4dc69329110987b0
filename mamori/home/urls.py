from django.urls import path

from . import registers, views

app_name = "home"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("preferences/", views.preferences, name="preferences"),
    path("registers/", registers.registers, name="registers"),
]
