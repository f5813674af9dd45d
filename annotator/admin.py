from django.contrib import admin

from .models import Annotation, Document, EditEvent, ExtractorVersion, Label, Membership, Project


class LabelInline(admin.TabularInline):
    model = Label
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [LabelInline, MembershipInline]


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "project", "external_id", "order", "gold_at"]
    list_filter = ["project"]
    search_fields = ["title", "external_id"]
    readonly_fields = ["text", "content_hash", "tokens"]


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    list_display = ["document", "annotator", "status", "version", "time_spent", "updated_at"]
    list_filter = ["status", "document__project"]
    list_select_related = ["document", "annotator"]


@admin.register(EditEvent)
class EditEventAdmin(admin.ModelAdmin):
    """Read-only: the edit log is append-only."""

    list_display = ["created_at", "user", "action", "annotation", "version"]
    list_select_related = ["user"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


admin.site.register(ExtractorVersion)
