"""The support site: the same desk seen through a browser (issue 23).

tokens (signed links and form tokens), links (the personal link in customer mail),
pages (jinja2 HTML), forms (what a posted form becomes: a raw message for the
spool), server (aiohttp routes inside `maild serve`).
"""
