from django.contrib import admin

from .models import Annotation, Document, EditEvent, ExtractorVersion, GoldChange, GoldRevision, Label, Membership, Project


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
    # The gold's fields are written only with a gold revision (services.gold).
    readonly_fields = ["text", "content_hash", "tokens", "gold_at", "gold_by", "reviewed_at"]


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    list_display = ["document", "annotator", "status", "version", "time_spent", "updated_at"]
    list_filter = ["status", "document__project"]
    list_select_related = ["document", "annotator"]


class ReadOnly(admin.ModelAdmin):
    """For append-only tables: shown, never added, changed or deleted here."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


class GoldChangeInline(admin.TabularInline):
    model = GoldChange
    extra = 0
    can_delete = False
    readonly_fields = ["op", "label", "start", "end"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(GoldRevision)
class GoldRevisionAdmin(ReadOnly):
    """Read-only: gold revisions are append-only (Restore on the document's gold page writes a new one)."""

    list_display = ["document", "number", "how", "created_by", "created_at", "added", "removed", "spans"]
    list_filter = ["how", "document__project"]
    list_select_related = ["document", "created_by"]
    inlines = [GoldChangeInline]


@admin.register(EditEvent)
class EditEventAdmin(ReadOnly):
    """Read-only: the edit log is append-only."""

    list_display = ["created_at", "user", "action", "annotation", "version"]
    list_select_related = ["user"]


admin.site.register(ExtractorVersion)
