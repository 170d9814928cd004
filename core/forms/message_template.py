"""The owner's message template form (helper: templates); see core/forms/messages.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ..exceptions import InvalidInput, TemplateRefused, line_message
from ..models.choices import MessageChannel


class MessageTemplateForm(forms.Form):
    """The owner's template of one kind, channel and language.

        form = MessageTemplateForm(request.POST or None, program=program, kind=kind,
                                   channel=channel, language=language)
        if request.method == "POST" and form.is_valid():
            form.save(actor=request.user.get_username())

    Starts from the current template (the owner's or the default). ``is_valid()`` runs the
    sandbox's check: each problem shows on its field with its line ("Line 3: Unknown
    variable “welcom_code”: did you mean “welcome_code”?"), and nothing is stored. An SMS
    has only its text. ``variables`` lists the names the editor shows beside the fields.
    """

    subject = forms.CharField(label=_("subject"), max_length=200, required=False)
    html = forms.CharField(
        label=_("HTML body"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false"}),
        help_text=_(
            "MJML sections (<mj-section>…) or HTML; the layout adds the header, the legal "
            "footer, the shop address and the unsubscribe link. Empty: the default."
        ),
    )
    text = forms.CharField(
        label=_("text body"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Empty: made from the HTML body."),
    )

    def __init__(
        self,
        data: Any = None,
        *args: Any,
        program: Any,
        kind: str,
        channel: str,
        language: str,
        **kwargs: Any,
    ) -> None:
        from ..messaging.render import RenderError
        from ..messaging.templates import template_for

        self.program, self.kind, self.channel, self.language = program, kind, channel, language
        if "initial" not in kwargs:
            try:
                current = template_for(program, kind, channel, language)
                kwargs["initial"] = {
                    "subject": current.subject,
                    "html": current.html,
                    "text": current.text,
                }
            except RenderError:
                pass
        super().__init__(data, *args, **kwargs)
        if channel == MessageChannel.SMS:
            del self.fields["subject"], self.fields["html"]
            self.fields["text"].label = _("SMS text")
            self.fields["text"].required = True
            self.fields["text"].help_text = ""

    @property
    def variables(self) -> list[Any]:
        from ..messaging.variables import KIND_VARIABLES, VARIABLES

        return [VARIABLES[name] for name in KIND_VARIABLES.get(self.kind, ())]  # type: ignore[call-overload]

    def clean(self) -> dict[str, Any]:
        from ..services.message_templates import check_parts

        cleaned = super().clean()
        parts = {name: cleaned.get(name) or "" for name in ("subject", "html", "text")}
        for part, problems in check_parts(self.kind, self.channel, **parts).items():
            if part in self.fields:
                for problem in problems:
                    self.add_error(part, line_message(problem))
        return cleaned

    def save(
        self,
        program: Any = None,
        kind: str | None = None,
        channel: str | None = None,
        language: str | None = None,
        *,
        actor: str,
        designed_with: str = "",
    ) -> Any:
        """The saved ``MessageTemplate``; None when the service refused (see ``errors``)."""
        from ..services.message_templates import save_template

        try:
            return save_template(
                program or self.program,
                kind or self.kind,
                channel or self.channel,
                language or self.language,
                subject=self.cleaned_data.get("subject", ""),
                html=self.cleaned_data.get("html", ""),
                text=self.cleaned_data.get("text", ""),
                actor=actor,
                designed_with=designed_with,
            )
        except TemplateRefused as refused:
            for part, message in refused.errors:
                self.add_error(part if part in self.fields else None, message)
        except InvalidInput as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
        return None
