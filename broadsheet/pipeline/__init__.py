"""The recipe: `build` (load the configuration, gather the articles, order the site, plan the pages, render, write,
swap) and `check` (the same recipe without writing), with the lock that keeps two builds apart (lock) and the checks
of where a build reads and writes (places). It may import the stages, the incremental layer and the base layer;
never the preview or the command line."""
