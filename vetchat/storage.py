"""Static files as production serves them."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed names, with the chat's ES modules importing each other by them.

    A module imported by its plain name would be cached for a year under that name and miss
    the next release's version; rewriting `import ... from "./x.js"` to the hashed name keeps
    every module of a page from the same release.
    """

    support_js_module_import_aggregation = True
