from django.urls import path

from . import views

app_name = "policy"
urlpatterns = [
    path("", views.policy_detail, name="detail"),
]
