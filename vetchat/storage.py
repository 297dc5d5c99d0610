"""Static files as production serves them."""

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed names, with the chat's ES modules importing each other by them.

    A module imported by its plain name would be cached for a year under that name and miss
    the next release's version; rewriting `import ... from "./x.js"` to the hashed name keeps
    every module of a page from the same release.
    """

    support_js_module_import_aggregation = True


class UncompressedStaticFilesStorage(ManifestStaticFilesStorage):
    """The same hashed names and imports without the compressed copies, which are most of
    collectstatic's time (DJANGO_STATIC_COMPRESS=0: test and benchmark runs, or a proxy that
    compresses)."""

    support_js_module_import_aggregation = True
