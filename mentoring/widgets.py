"""Form widgets tuned for pages that render on every request."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.renderers import BaseRenderer
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


class LeanSelect(forms.Select):
    """A single <select> rendered in Python instead of one template per <option>.

    Django renders each option through a template; the directory's filter form has over a
    hundred options on every page view, and that was a fifth of the page's time (benchmark W4).
    Same HTML, same attributes (id, aria-describedby, aria-invalid) as forms.Select.
    """

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        selected = {str(v) for v in self.format_value(value)}
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        attributes = format_html_join(
            "", ' {}="{}"', ((key, val) for key, val in final.items() if val not in (None, False))
        )
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (str(key), " selected" if str(key) in selected else "", label)
                for key, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", attributes, options)
