"""The stages of the pipeline, each a plain function of its inputs: load the configuration (config, frontmatter,
dates), find and parse the articles (content, markup, commonmark, htmlbody, shortcodes, highlight, links), order the
site (site, taxonomy), declare its pages (views, feeds, sitemaps, metadata, redirects, search), process its images
(images, imaging), render them (templates, theme) and write them (output, buildinfo). A stage may import the base
layer and other stages; it never imports the incremental layer, the pipeline, the preview or the command line, and
does not know whether it is cached or run in a worker."""
