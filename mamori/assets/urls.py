from django.urls import path

from . import asset_views, incident_views, views

app_name = "assets"

urlpatterns = [
    path("", views.system_list, name="list"),
    path("new/", views.system_create, name="create"),
    path("export/", views.register_export, name="export"),
    path("import/", views.register_import, name="import"),
    path("<int:pk>/", views.system_detail, name="detail"),
    path("<int:pk>/edit/", views.system_edit, name="edit"),
    path("<int:pk>/software/", views.system_software, name="software"),
    path("assets/", asset_views.asset_list, name="assets"),
    path("assets/new/", asset_views.asset_create, name="asset_create"),
    path("assets/export/", asset_views.asset_export, name="asset_export"),
    path("assets/import/", views.asset_import, name="asset_import"),
    path("assets/<int:pk>/", asset_views.asset_detail, name="asset"),
    path("assets/<int:pk>/edit/", asset_views.asset_edit, name="asset_edit"),
    path("incident/<int:pk>/", incident_views.incident_systems, name="incident"),
    path("incident/<int:pk>/affected/", incident_views.incident_systems_set, name="incident_set"),
    path("incident/<int:pk>/checks/", incident_views.incident_cross_checks, name="incident_checks"),
    path("incident/<int:pk>/checks/<int:check_pk>/answer/", incident_views.answer, name="answer"),
]
