"""Scenarios and messages (issue 13): what the shop sends, when, to whom, and what was sent.

A program's scenario is its list of ``ScenarioStep`` rows. A trigger (core/services/
scenarios.py ``fire``) writes one ``ScheduledMessage`` per step, recipient and subject:
unique by ``dedupe_key``, so a trigger replayed never schedules twice. The periodic task
``send_due_messages`` (core/messaging/engine.py) picks due rows with ``SELECT … FOR UPDATE
SKIP LOCKED`` so several workers share the queue without sending anything twice.

A ``MessageTemplate`` row is the owner's version of one kind, channel and language; without
one, the shipped default is used (core/messaging/templates.py).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import (
    TRANSACTIONAL_KINDS,
    DelayUnit,
    MessageChannel,
    MessageKind,
    MessageStatus,
    Recipient,
    Trigger,
)
from .contact import Contact
from .program import Program

_UNIT = {DelayUnit.MINUTES: "minutes", DelayUnit.HOURS: "hours", DelayUnit.DAYS: "days"}


class ScenarioStep(models.Model):
    """One message of a program's scenario: on ``trigger``, after ``delay``, send ``kind``
    by ``channel`` to ``recipient`` if they meet every ``audience`` condition."""

    program = models.ForeignKey(
        Program,
        on_delete=models.CASCADE,
        verbose_name=_("program"),
        related_name="scenario_steps",
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name = models.CharField(_("name"), max_length=120, blank=True)
    trigger = models.CharField(_("trigger"), max_length=30, choices=Trigger.choices)
    delay_amount = models.PositiveIntegerField(_("delay"), default=0)
    delay_unit = models.CharField(
        _("delay unit"), max_length=10, choices=DelayUnit.choices, default=DelayUnit.DAYS
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=MessageChannel.choices, default=MessageChannel.EMAIL
    )
    kind = models.CharField(_("message"), max_length=30, choices=MessageKind.choices)
    recipient = models.CharField(_("recipient"), max_length=10, choices=Recipient.choices)
    # A list of Audience values (all must hold); a form shows them as checkboxes.
    audience = models.JSONField(_("audience conditions"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("scenario step")
        verbose_name_plural = _("scenario steps")
        ordering = ["program", "position", "pk"]

    def __str__(self) -> str:
        return self.name or f"{self.get_trigger_display()} → {self.get_kind_display()}"

    @property
    def delay(self) -> timedelta:
        return timedelta(**{_UNIT[DelayUnit(self.delay_unit)]: self.delay_amount})

    @property
    def is_transactional(self) -> bool:
        return self.kind in TRANSACTIONAL_KINDS


class MessageTemplate(models.Model):
    """The owner's template for one kind, channel and language (jinja2, sandboxed).

    Email: ``subject``, ``html`` and ``text`` (an empty ``text`` is generated from the HTML).
    SMS: ``text`` only. ``designed_with`` is "wagtail" when Wagtail's block editor wrote
    ``html`` (the Django admin then says so rather than let two editors fight).
    """

    program = models.ForeignKey(
        Program,
        on_delete=models.CASCADE,
        verbose_name=_("program"),
        related_name="message_templates",
    )
    kind = models.CharField(_("message"), max_length=30, choices=MessageKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=MessageChannel.choices)
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    html = models.TextField(_("HTML body"), blank=True)
    text = models.TextField(_("text body"), blank=True)
    designed_with = models.CharField(max_length=20, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.CharField(_("updated by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["program", "kind", "channel", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "kind", "channel", "language"],
                name="parrain_template_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_channel_display()}, {self.language})"


class ScheduledMessage(models.Model):
    """One message to one contact: waiting, sent, dropped or failed, with the rule that
    decided. The contact's message history is the list of these rows."""

    id = models.BigAutoField(primary_key=True)
    program = models.ForeignKey(
        Program,
        on_delete=models.CASCADE,
        verbose_name=_("program"),
        related_name="scheduled_messages",
    )
    # None for a message no step sent (an address confirmation), or whose step was deleted.
    step = models.ForeignKey(
        ScenarioStep,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("scenario step"),
        related_name="messages",
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, verbose_name=_("contact"), related_name="messages"
    )
    kind = models.CharField(_("message"), max_length=30, choices=MessageKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=MessageChannel.choices)
    # What the message is about (TRIGGER_SUBJECT's names), read again when it is sent.
    subject_type = models.CharField(max_length=20, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)
    # Values known only at the trigger (the referrer's personal note to a friend...).
    context = models.JSONField(default=dict, blank=True)
    # "<step or kind>:<contact>:<subject_type>:<subject_id>": a replayed trigger adds nothing.
    dedupe_key = models.CharField(max_length=120)
    created_at = models.DateTimeField(_("scheduled"), default=timezone.now)
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    # The MessageRule that last moved due_at later (kept once sent: "sent, delayed by …").
    delayed_by = models.CharField(_("delayed by"), max_length=20, blank=True)
    # Why it was dropped or failed: a MessageRule or an Audience value.
    reason = models.CharField(_("reason"), max_length=30, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    to = models.CharField(_("to"), max_length=254, blank=True)
    subject_line = models.CharField(_("subject"), max_length=200, blank=True)
    provider_id = models.CharField(_("provider id"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-due_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["program", "dedupe_key"], name="parrain_message_dedupe")
        ]
        indexes = [
            # The queue: only waiting rows, by due time.
            models.Index(
                fields=["due_at"],
                name="parrain_message_due",
                condition=models.Q(status=MessageStatus.PENDING),
            ),
            # Pressure cap and minimum gap: a contact's recent sends.
            models.Index(fields=["contact", "sent_at"], name="parrain_message_contact_sent"),
            # A step's sent / delayed / dropped / failed counts.
            models.Index(fields=["step", "status"], name="parrain_message_step_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient_label} ({self.get_status_display()})"

    @property
    def recipient_label(self) -> str:
        """Who it is for, as the shop reads it: "Camille Martin <camille@example.com>", the
        address alone without a name (never the contact's id)."""
        contact = self.contact
        name = " ".join(part for part in (contact.first_name, contact.last_name) if part)
        address = contact.email or self.to
        return f"{name} <{address}>" if name and address else name or address

    @property
    def is_transactional(self) -> bool:
        return self.kind in TRANSACTIONAL_KINDS
