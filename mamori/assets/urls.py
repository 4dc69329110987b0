from django.urls import path

from . import views

app_name = "assets"

urlpatterns = [
    path("", views.system_list, name="list"),
    path("new/", views.system_create, name="create"),
    path("export/", views.register_export, name="export"),
    path("import/", views.register_import, name="import"),
    path("<int:pk>/", views.system_detail, name="detail"),
    path("<int:pk>/edit/", views.system_edit, name="edit"),
    path("<int:pk>/software/", views.system_software, name="software"),
]
