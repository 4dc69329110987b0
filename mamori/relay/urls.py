from django.urls import path

from . import views

app_name = "relay"
urlpatterns = [
    path("api/links", views.api_links, name="api_links"),
    path("api/answers", views.api_answers, name="api_answers"),
    path("api/confirm", views.api_confirm, name="api_confirm"),
]
