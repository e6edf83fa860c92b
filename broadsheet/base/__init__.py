"""The base layer: the values passed between stages (model), the problems a site can have and the exception that
carries them (errors), their kinds, which a site can turn off (warning_kinds), the options of one build (options),
URL segments (slugs), XML's forbidden characters (xmltext), the names of a site's folders and files (names), how the
work in progress is reported (progress) and how the cache folder's files are written (files). It imports nothing else
of the package, so every other layer may import it."""
