"""Exports: the post-mortem and stakeholder status messages rendered as text (Markdown and a
plain variant) through Jinja2 templates. The domain (warroom.domain) knows nothing of this."""
