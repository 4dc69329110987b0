"""The roll-call's one-tap links: served by the main process, and by the relay on the internet-facing
segment (config/urls_public.py)."""

from django.urls import path

from . import views

app_name = "rollcall"
urlpatterns = [path("<str:token>/", views.answer_by_link, name="answer")]
