"""The campaign's web view (``foibot serve``): read, review and act in the browser.

One small module per page group, each route a few lines over the same library functions the
command line calls: :mod:`.board`, :mod:`.requests`, :mod:`.review`, :mod:`.actions`,
:mod:`.exports`; :mod:`.security` guards them all, :mod:`.app` puts them together and
:mod:`.server` serves them. Templates are ``templates/web/`` (Jinja2, autoescaped); there is no
JavaScript, so every page works with scripts off and the Content-Security-Policy forbids all.
"""
