from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

project_urls = [
    path("", views.project_detail, name="project_detail"),
    path("next/", views.next_document, name="next_document"),
    path("export/", views.export, name="export"),
    path("d/<int:pk>/", views.annotate, name="annotate"),
    path("d/<int:pk>/spans/", views.span_add, name="span_add"),
    path("d/<int:pk>/spans/<int:span_id>/", views.span_change, name="span_change"),
    path("d/<int:pk>/spans/<int:span_id>/delete/", views.span_delete, name="span_delete"),
    path("d/<int:pk>/undo/", views.undo, name="undo"),
    path("d/<int:pk>/submit/", views.submit, name="submit"),
    path("d/<int:pk>/skip/", views.skip, name="skip"),
]

urlpatterns = [
    path("", views.project_list, name="project_list"),
    path("p/<slug:slug>/", include(project_urls)),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
