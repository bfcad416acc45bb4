from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from clientela.users.models import ApiToken, Team, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),  # type: ignore[misc]
        ("Clientela", {"fields": ("role", "team", "language", "time_zone", "phone", "is_absent")}),
    )
    list_display = ("username", "first_name", "last_name", "email", "role", "team", "is_active")
    list_filter = ("role", "team", "is_active")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "head", "default_country", "time_zone", "is_active")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash")
