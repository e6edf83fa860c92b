"""The base layer: the values passed between stages (model), the problems a site can have and the exception that
carries them (errors), the options of one build (options), URL segments (slugs), XML's forbidden characters
(xmltext) and the names of a site's folders (folders). It imports nothing else of the package, so every other layer
may import it."""
