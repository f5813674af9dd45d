from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from .views import annotate as annotate_views
from .views import documents as document_views
from .views import evaluation as evaluation_views
from .views import gold as gold_views
from .views import projects as project_views
from .views import review as review_views
from .views import runs as task_views
from .views import training as training_views
from .views import transfer as transfer_views

project_urls = [
    path("", project_views.project_detail, name="project_detail"),
    path("documents/", document_views.document_list, name="document_list"),
    path("documents/bulk/", document_views.document_bulk, name="document_bulk"),
    path("progress/", project_views.dashboard, name="dashboard"),
    path("settings/", project_views.settings_page, name="project_settings"),
    path("settings/labels/", project_views.label_save, name="label_add"),
    path("settings/labels/<int:label_id>/", project_views.label_save, name="label_save"),
    path("settings/labels/<int:label_id>/delete/", project_views.label_delete, name="label_delete"),
    path("settings/members/", project_views.member_save, name="member_save"),
    path("settings/accounts/", project_views.account_create, name="account_create"),
    path("settings/members/<int:member_id>/delete/", project_views.member_remove, name="member_remove"),
    path("export/", transfer_views.export, name="export"),
    path("evaluation/", evaluation_views.evaluation, name="evaluation"),
    path("import/", transfer_views.import_upload, name="import_upload"),
    # Annotating: documents are opened by id, edits name the (own) annotation they change.
    path("next/", annotate_views.next_document, name="next_document"),
    path("d/<int:pk>/", annotate_views.annotate, name="annotate"),
    path("d/<int:pk>/start/", annotate_views.claim, name="claim"),
    path("d/<int:pk>/previous/", project_views.step_document, {"direction": -1}, name="document_before"),
    path("d/<int:pk>/following/", project_views.step_document, {"direction": 1}, name="document_after"),
    path("d/<int:pk>/gold/", gold_views.gold_page, name="gold"),
    path("d/<int:pk>/gold/restore/", gold_views.gold_restore, name="gold_restore"),
    path("a/<int:aid>/spans/", annotate_views.span_add, name="span_add"),
    path("a/<int:aid>/spans/<int:span_id>/", annotate_views.span_change, name="span_change"),
    path("a/<int:aid>/spans/<int:span_id>/delete/", annotate_views.span_delete, name="span_delete"),
    path("a/<int:aid>/undo/", annotate_views.undo, name="undo"),
    path("a/<int:aid>/submit/", annotate_views.submit, name="submit"),
    path("a/<int:aid>/skip/", annotate_views.skip, name="skip"),
    path("a/<int:aid>/reopen/", annotate_views.reopen, name="reopen"),
    path("a/<int:aid>/rebuild/", review_views.rebuild, name="rebuild"),
    # Review
    path("review/", review_views.review_queue, name="review_queue"),
    path("agreement/", review_views.agreement, name="agreement"),
    path("review/next/", review_views.review_next, name="review_next"),
    path("review/<int:pk>/", review_views.review, name="review"),
    path("a/<int:aid>/resolve/", review_views.resolve, name="resolve"),
    # Background tasks: runs with a self-updating progress bar
    path("tasks/", task_views.task_list, name="task_list"),
    path("tasks/predict/", task_views.task_predict, name="task_predict"),
    path("tasks/export/", task_views.task_export, name="task_export"),
    path("tasks/evaluate/", task_views.task_evaluate, name="task_evaluate"),
    path("tasks/<int:pk>/", task_views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/download/", task_views.task_download, name="task_download"),
    # Training from the gold: versions, promotion, the learning curve
    path("training/", training_views.training_page, name="training"),
    path("training/start/", training_views.training_start, name="training_start"),
    path("training/promote/", training_views.training_promote, name="training_promote"),
    path("training/settings/", training_views.training_settings, name="training_settings"),
    path("training/<int:pk>/cancel/", training_views.training_cancel, name="training_cancel"),
]

urlpatterns = [
    path("", project_views.project_list, name="project_list"),
    path("p/<slug:slug>/", include(project_urls)),
    path("api/", include("annotator.api.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
