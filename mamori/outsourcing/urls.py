from django.urls import path

from . import views

app_name = "outsourcing"

urlpatterns = [
    path("", views.register, name="register"),
    path("contracts/new/", views.contract_new, name="contract_new"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract"),
    path("cloud/new/", views.cloud_new, name="cloud_new"),
    path("cloud/<int:pk>/", views.cloud_detail, name="cloud"),
]
