"""Contacts in the Wagtail admin's Referral menu: the list (search, filters, pages), one
contact's page with the consent history, the export of their data (right of access) and
their erasure, and the contact list as a CSV file the import reads back.

Everything goes through the core, as in the Django admin and the Oscar dashboard: the
consent history and the downloads (``core.privacy_views``), the export
(``core.services.contact_export``), the erasure (``core.services.erasure``, after a
confirmation page listing what stays). Permissions are Django's on contacts: ``view`` to
see the list and a contact, and to download their data or the list; ``delete`` to erase.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView, View
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import BooleanColumn, Column, TitleColumn
from wagtail.admin.views.generic import IndexView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets import HeaderButton
from wagtail.permission_policies import ModelPermissionPolicy

from parrain.core.models import Contact, ContactImport, Program, ScheduledMessage
from parrain.core.privacy_views import download, download_contacts, history_context
from parrain.core.services.erasure import erase_contact, kept_history

from .columns import ProgramDateColumn
from .last_program import remember_program
from .permissions import actor

CONTACTS = ModelPermissionPolicy(Contact)
IMPORTS = ModelPermissionPolicy(ContactImport)
HISTORY = ModelPermissionPolicy(ScheduledMessage)
LIST_URL = "parrain_wagtail:contact_list"


def contact_url(contact: Contact | int) -> str:
    pk = contact.pk if isinstance(contact, Contact) else contact
    return reverse("parrain_wagtail:contact_detail", args=[pk])


class ContactFilterSet(WagtailFilterSet):
    program = django_filters.ModelChoiceFilter(queryset=Program.objects.all(), label=_("Program"))
    is_customer = django_filters.BooleanFilter(label=_("Customer"))
    referrers = django_filters.BooleanFilter(
        field_name="referrer_code", lookup_expr="isnull", exclude=True, label=_("Referrer")
    )
    erased = django_filters.BooleanFilter(
        field_name="erased_at", lookup_expr="isnull", exclude=True, label=_("Erased")
    )

    class Meta:
        model = Contact
        fields = ["program", "is_customer", "referrers", "erased"]


def full_name(contact: Contact) -> str:
    return f"{contact.first_name} {contact.last_name}".strip()


class ConsentColumn(Column):
    """The email consent in words: yes, no, or not answered."""

    def get_value(self, instance: Contact) -> str:
        if instance.consent_recontact is None:
            return str(_("not answered"))
        return str(_("yes") if instance.consent_recontact else _("no"))


class ContactListView(IndexView):
    """The contacts of every program, newest first; search by email, name or external id."""

    model = Contact
    permission_policy = CONTACTS
    permission_required = "view"
    any_permission_required = None
    page_title = _("Contacts")
    header_icon = "user"
    index_url_name = LIST_URL
    index_results_url_name = "parrain_wagtail:contact_list_results"
    search_fields = ["email", "first_name", "last_name", "external_id"]
    search_backend_name = None
    filterset_class = ContactFilterSet
    default_ordering = "-created_at"
    paginate_by = 25
    columns = [
        TitleColumn("email", label=_("Email"), get_url=contact_url),
        Column("name", label=_("Name"), accessor=full_name),
        Column("program", label=_("Program")),
        BooleanColumn("is_customer", label=_("Customer")),
        ConsentColumn("consent", label=_("Agrees to be recontacted")),
        Column("referrer_code", label=_("Referrer code")),
        ProgramDateColumn("created_at", label=_("Created"), sort_key="created_at"),
    ]

    def get_base_queryset(self) -> QuerySet[Contact]:
        return Contact.objects.select_related("program")

    def search_queryset(self, queryset: QuerySet[Contact]) -> QuerySet[Contact]:
        if not self.is_searching:
            return queryset
        text = self.search_query
        return queryset.filter(
            Q(email__icontains=text)
            | Q(first_name__icontains=text)
            | Q(last_name__icontains=text)
            | Q(external_id=text)
        )

    @cached_property
    def chosen_program(self) -> Program | None:
        """The program filtered on, else the only one: the one a CSV export is for."""
        if self.filters is not None and self.filters.is_valid():
            if program := self.filters.form.cleaned_data.get("program"):
                return program
        programs = list(Program.objects.all()[:2])
        return programs[0] if len(programs) == 1 else None

    @cached_property
    def header_buttons(self) -> list[Any]:
        buttons = []
        program = self.chosen_program
        if program is not None:
            query = self.request.GET.copy()
            query["program"] = str(program.pk)
            for name in ("p", "_w_filter_fragment", "ordering"):
                query.pop(name, None)
            url = f"{reverse('parrain_wagtail:contact_list_export')}?{query.urlencode()}"
            buttons.append(
                HeaderButton(
                    _("Export contacts (CSV)"),
                    url=url,
                    icon_name="download",
                    priority=10,
                    attrs={"id": "parrain-contacts-export"},
                )
            )
        if IMPORTS.user_has_permission(self.request.user, "add"):
            buttons.append(
                HeaderButton(
                    _("Import contacts from a file"),
                    url=reverse("parrain_wagtail:import_upload"),
                    icon_name="upload",
                    priority=20,
                    attrs={"id": "parrain-contacts-import"},
                )
            )
        return buttons

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if self.filters is not None and self.filters.is_valid():
            remember_program(self.request, self.filters.form.cleaned_data.get("program"))
        return context


class ContactListExportView(ContactListView):
    """The list's contacts (same program, filters and search) as the import's CSV file."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        program = self.chosen_program
        if program is None:
            messages.error(request, _("Choose a program to export its contacts."))
            return HttpResponseRedirect(reverse(LIST_URL))
        return download_contacts(program, self.get_queryset(), actor=actor(request.user))


class ContactMixin(PermissionCheckedMixin, WagtailAdminTemplateMixin):
    permission_policy = CONTACTS
    permission_required = "view"
    header_icon = "user"
    kwargs: dict[str, Any]
    request: HttpRequest

    @cached_property
    def contact(self) -> Contact:
        return get_object_or_404(Contact.objects.select_related("program"), pk=self.kwargs["pk"])

    def get_page_subtitle(self) -> str:
        return str(self.contact)

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse(LIST_URL), "label": _("Contacts")},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]


class ContactView(ContactMixin, TemplateView):
    """One contact: who they are, their consents as given and withdrawn, their data."""

    template_name = "parrain_wagtail/admin/contact_detail.html"
    page_title = _("Contact")

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse(LIST_URL), "label": _("Contacts")},
            {"url": "", "label": str(self.contact)},
        ]

    @cached_property
    def header_buttons(self) -> list[Any]:
        contact = self.contact
        user = self.request.user
        buttons = [
            HeaderButton(
                _("Export data (JSON)"),
                url=reverse("parrain_wagtail:contact_export", args=[contact.pk]),
                icon_name="download",
                priority=10,
                attrs={"id": "parrain-contact-export"},
            )
        ]
        if HISTORY.user_has_permission(user, "view"):
            url = f"{reverse('parrain_wagtail:message_history')}?contact={contact.pk}"
            buttons.append(
                HeaderButton(_("Message history"), url=url, icon_name="history", priority=20)
            )
        if not contact.is_erased and CONTACTS.user_has_permission(user, "delete"):
            buttons.append(
                HeaderButton(
                    _("Erase (GDPR)"),
                    url=reverse("parrain_wagtail:contact_erase", args=[contact.pk]),
                    icon_name="bin",
                    priority=30,
                    attrs={"id": "parrain-contact-erase"},
                )
            )
        return buttons

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        contact = self.contact
        context.update(contact=contact, program=contact.program, **history_context(contact))
        return context


class ContactExportView(ContactMixin, View):
    """The contact's data as a JSON file (right of access); audited with the editor."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return download(self.contact, actor=actor(request.user))


class ContactEraseView(ContactMixin, TemplateView):
    """What the erasure removes and what stays, then, on "Yes, erase", the erasure."""

    permission_required = "delete"
    template_name = "parrain_wagtail/admin/contact_erase.html"
    page_title = _("Erase personal data")
    header_icon = "bin"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            contact=self.contact,
            rows=[(self.contact, kept_history(self.contact))],
            contact_url=contact_url(self.contact),
        )
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if erase_contact(self.contact, actor=actor(request.user)):
            messages.success(request, _("The contact is erased."))
        else:
            messages.info(request, _("The contact was already erased."))
        return HttpResponseRedirect(reverse(LIST_URL))


def contact_urls() -> list[URLPattern]:
    return [
        path("contacts/", ContactListView.as_view(), name="contact_list"),
        path(
            "contacts/results/",
            ContactListView.as_view(results_only=True),
            name="contact_list_results",
        ),
        path("contacts/export/", ContactListExportView.as_view(), name="contact_list_export"),
        path("contacts/<int:pk>/", ContactView.as_view(), name="contact_detail"),
        path("contacts/<int:pk>/export/", ContactExportView.as_view(), name="contact_export"),
        path("contacts/<int:pk>/erase/", ContactEraseView.as_view(), name="contact_erase"),
    ]
