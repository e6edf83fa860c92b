"""The preview server: serving a build over HTTP (serve) within bounds (connections), watching the sources (watch) and
reloading browsers (livereload). It calls the pipeline's `build` and imports stages only for what they name; never
the command line."""
