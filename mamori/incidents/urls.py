from django.urls import path

from . import files_views, outside_views, register_views, views

app_name = "incidents"
urlpatterns = [
    path("", views.incident_list, name="list"),
    path("queue/", views.triage_queue, name="queue"),
    path("register.xlsx", register_views.register_export, name="register_export"),
    path("register/import/", register_views.register_import, name="register_import"),
    path("register/import/columns/", register_views.register_import_columns, name="register_import_columns"),
    path("register/import/check/", register_views.register_import_check, name="register_import_check"),
    path("register/import/cancel/", register_views.register_import_cancel, name="register_import_cancel"),
    path("<int:pk>/", views.incident_detail, name="detail"),
    path("<int:pk>/triage/", views.triage, name="triage"),
    path("<int:pk>/level/", views.change_level, name="level"),
    path("<int:pk>/flags/", views.update_flags, name="flags"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/merge/", views.merge, name="merge"),
    path("<int:pk>/need-to-know/", views.add_member, name="add_member"),
    path("<int:pk>/need-to-know/<int:member_pk>/remove/", views.remove_member, name="remove_member"),
    path("<int:pk>/actions/", views.add_action, name="add_action"),
    path("<int:pk>/evidence/", views.add_evidence, name="add_evidence"),
    path("<int:pk>/evidence/<int:evidence_pk>/custody/", views.add_custody, name="add_custody"),
    path("<int:pk>/evidence/<int:evidence_pk>/file/", files_views.evidence_file, name="evidence_file"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/file/", files_views.attachment_file, name="attachment_file"
    ),
    path("<int:pk>/tasks/", views.add_task, name="add_task"),
    path("<int:pk>/tasks/<int:task_pk>/done/", views.complete_task, name="complete_task"),
    path("<int:pk>/checklist/<int:obligation_pk>/", views.complete_obligation, name="complete_obligation"),
    path("<int:pk>/publication/", views.request_publication, name="publication"),
    path("<int:pk>/approvals/<int:approval_pk>/", views.decide_approval, name="decide_approval"),
    path("<int:pk>/transitions/<slug:name>/", views.apply_transition, name="transition"),
    path("<int:pk>/outside/facts/", outside_views.set_facts, name="report_facts"),
    path("<int:pk>/outside/<int:report_pk>/draft/", outside_views.draft, name="report_draft"),
    path("<int:pk>/outside/<int:report_pk>/sent/", outside_views.sent, name="report_sent"),
    path("<int:pk>/outside/<int:report_pk>/waive/", outside_views.waive, name="report_waive"),
]
